/**
 * Getting a block through a Helia node's blockstore (from the local store,
 * else from connected peers over bitswap) with its want made again while no
 * peer answers. @helia/bitswap sends a want to each peer once: a want or a
 * block lost on the way (a stream refused or reset under load, a send that
 * timed out, the holder's store failing once as it looked) is never sent
 * again, and the block would be waited for until the caller gives up. So each
 * try waits a while, twice as long as the last (a large block on a slow link
 * keeps its chance), then its want is cancelled and made afresh, reaching
 * every connected peer again (at once: a block landing between the cancel
 * and the new want would be missed); tries go on until `signal` aborts.
 */
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import { createLogger } from '../../core/logger.ts'
import { retryWithBackoff } from '../../core/retry.ts'

const log = createLogger('adapters:ask-again')

/** How long the first try waits for an answer (each later one twice the last, up to {@link MAX_WAIT_MS}). */
export const FIRST_WAIT_MS = 15_000
const MAX_WAIT_MS = 120_000

/** Options of {@link getAskingAgain}. */
export interface AskAgainOptions {
  /** Gives up on the block (every try ends). */
  readonly signal?: AbortSignal
  /** How long the first try waits ({@link FIRST_WAIT_MS} unless given; tests shorten it). */
  readonly firstWaitMs?: number
}

/** The parts of block `cid` as `blockstore` (a Helia node's, which fetches what it lacks) yields them, asking again as the header says. */
export async function getAskingAgain (blockstore: Pick<Blockstore, 'get'>, cid: CID, options: AskAgainOptions = {}): Promise<Uint8Array[]> {
  const first = options.firstWaitMs ?? FIRST_WAIT_MS
  const { signal } = options
  return await retryWithBackoff(async (attempt) => {
    const wait = AbortSignal.timeout(Math.min(MAX_WAIT_MS, first * 2 ** (attempt - 1)))
    const parts: Uint8Array[] = []
    for await (const part of blockstore.get(cid, { signal: signal === undefined ? wait : AbortSignal.any([signal, wait]) })) parts.push(part)
    return parts
  }, { what: `get the block ${cid.toString()}`, log, minDelayMs: 50, maxDelayMs: 1_000, ...(signal === undefined ? {} : { signal }) })
}
