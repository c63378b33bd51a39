/**
 * Asking a follower over HTTP which blocks it holds (`POST /v1/held-blocks`,
 * held-query.ts): how a device learns, file by file, that a backup server has
 * every block of an original before it lets its own copy go. Many CIDs are
 * asked in queries of at most {@link HELD_QUERY_LIMITS}.maxCids; an answer is
 * read up to its byte limit and must be one boolean per CID asked, or the
 * question fails by name (nothing is taken as held on a doubtful answer).
 */
import type { CID } from 'multiformats/cid'
import { ThreadsError } from '../../core/errors.ts'
import { encodeHeldQuery, HELD_QUERY_LIMITS, HELD_QUERY_PATH, MalformedHeldQueryError, parseHeldAnswer } from './held-query.ts'
import { discardBody, readBody } from './read-body.ts'

/** The follower could not be asked which blocks it holds, or did not answer the question (its status says why). */
export class HeldQueryFailedError extends ThreadsError {
  static override readonly errorName = 'HeldQueryFailedError'
}

/** Asks which of `cids` a server holds: one boolean per CID, in order. */
export type HeldBlocks = (cids: readonly CID[], options: { readonly signal?: AbortSignal }) => Promise<boolean[]>

/** Which blocks the follower at `baseUrl` holds, asked in as few queries as the limits allow. */
export function httpHeldBlocks (baseUrl: string): HeldBlocks {
  const url = new URL(HELD_QUERY_PATH, baseUrl).href
  const ask = async (cids: readonly CID[], signal: AbortSignal | undefined): Promise<boolean[]> => {
    let response: Response
    try {
      response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: encodeHeldQuery(cids) as Uint8Array<ArrayBuffer>, signal: signal ?? null })
    } catch (cause) {
      throw new HeldQueryFailedError(`the follower at ${baseUrl} could not be asked which blocks it holds`, { cause })
    }
    if (response.status !== 200) {
      await discardBody(response)
      throw new HeldQueryFailedError(`the follower at ${baseUrl} answered ${response.status} when asked which blocks it holds`)
    }
    const body = await readBody(response, HELD_QUERY_LIMITS.maxAnswerBytes, () => new MalformedHeldQueryError(`the answer of ${baseUrl} is over ${HELD_QUERY_LIMITS.maxAnswerBytes} bytes`))
    return parseHeldAnswer(body, cids.length)
  }
  return async (cids, { signal }) => {
    const held: boolean[] = []
    for (let at = 0; at < cids.length; at += HELD_QUERY_LIMITS.maxCids) {
      held.push(...await ask(cids.slice(at, at + HELD_QUERY_LIMITS.maxCids), signal))
    }
    return held
  }
}
