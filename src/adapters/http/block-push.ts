/**
 * Blocks pushed to a follower over HTTP (PUT /v1/blocks/<cid>), as a writer
 * hands a follower the thumbnail packs its snapshot names: one request a
 * block, its bytes as `application/vnd.ipld.raw`. A refusal (a block no kept
 * record or snapshot names, a quota, the follower busy) is a
 * BlockPushError carrying the follower's words, read up to a small
 * limit; a follower out of reach is one too, with its cause.
 */
import type { CID } from 'multiformats/cid'
import { ThreadsError } from '../../core/errors.ts'
import { PACK_LIMITS } from '../../core/media/index.ts'
import { httpBlockFetcher } from './block-fetch.ts'
import { httpHeldBlocks, type HeldBlocks } from './held-blocks.ts'
import { readBody } from './read-body.ts'

/** A follower's refusals are a JSON `{ name, message }` of a few hundred bytes; more is not a follower's. */
const MAX_REFUSAL_BYTES = 16 * 1024
const PUSH_TIMEOUT_MS = 60_000

/** A follower did not take a block pushed to it: refused (its words in the message) or out of reach. */
export class BlockPushError extends ThreadsError {
  static override readonly errorName = 'BlockPushError'
}

/** Pushes blocks to the follower at `baseUrl`; resolves once it kept the block. */
export function httpBlockPusher (baseUrl: string): (block: { readonly cid: CID, readonly bytes: Uint8Array }, options: { signal?: AbortSignal }) => Promise<void> {
  return async ({ cid, bytes }, { signal }) => {
    const text = cid.toString()
    let response: Response
    try {
      response = await fetch(`${baseUrl}/v1/blocks/${text}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.ipld.raw' },
        body: bytes as Uint8Array<ArrayBuffer>,
        signal: signal ?? AbortSignal.timeout(PUSH_TIMEOUT_MS)
      })
    } catch (cause) {
      throw new BlockPushError(`the follower at ${baseUrl} could not be reached to push block ${text}`, { cause })
    }
    if (response.status === 204) return
    const body = await readBody(response, MAX_REFUSAL_BYTES, () => new BlockPushError(`the follower at ${baseUrl} refused block ${text} with HTTP ${response.status} and a body over ${MAX_REFUSAL_BYTES} bytes`))
    const words = new TextDecoder().decode(body).slice(0, 500)
    throw new BlockPushError(`the follower at ${baseUrl} refused block ${text} with HTTP ${response.status}: ${words}`)
  }
}

/**
 * The block endpoints of the follower at `url` (its web address) as the album
 * service uses them for thumbnail packs: blocks up to a pack's size fetched
 * with GET, pushed with PUT, and which it holds asked with POST
 * /v1/held-blocks (so packs it holds are not pushed again).
 */
export function httpFollowerBlocks (url: string): {
  get: ReturnType<typeof httpBlockFetcher>
  put: ReturnType<typeof httpBlockPusher>
  held: HeldBlocks
} {
  const origin = new URL(url).origin
  return { get: httpBlockFetcher(origin, PACK_LIMITS.maxBlockBytes), put: httpBlockPusher(origin), held: httpHeldBlocks(origin) }
}
