/**
 * Blocks fetched from a follower over HTTP (GET /v1/blocks/<cid>): a few
 * large blocks, such as a snapshot's thumbnail packs, come in one request
 * each, without the per-message work of bitswap over an encrypted libp2p
 * stream. A body is read up to `maxBytes` and no further; the caller checks
 * the bytes against the CID (a follower is not trusted with them).
 */
import type { CID } from 'multiformats/cid'
import { BlockNotFoundError, TooLargeError } from '../../core/errors.ts'
import { discardBody, readBody } from './read-body.ts'

/** Reads block `cid`, of at most `maxBytes`, from the follower at `baseUrl`. */
export function httpBlockFetcher (baseUrl: string, maxBytes: number): (cid: CID, options: { signal?: AbortSignal }) => Promise<Uint8Array> {
  return async (cid, { signal }) => {
    const text = cid.toString()
    let response: Response
    try {
      response = await fetch(`${baseUrl}/v1/blocks/${text}`, { signal })
    } catch (cause) {
      throw new BlockNotFoundError(`the follower at ${baseUrl} could not be asked for block ${text}`, text, { cause })
    }
    if (response.status !== 200) {
      await discardBody(response)
      throw new BlockNotFoundError(`the follower at ${baseUrl} answered ${response.status} for block ${text}`, text)
    }
    return await readBody(response, maxBytes, () => new TooLargeError(`block ${text} from ${baseUrl} is over the ${maxBytes} bytes allowed`))
  }
}
