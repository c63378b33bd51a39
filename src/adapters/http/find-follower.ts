/**
 * Finds a follower's libp2p address from its HTTP health endpoint
 * (`GET <base>/health`, which answers `{ multiaddrs: [...] }`): how the worker
 * learns where to dial, and the service worker which peer to push to.
 * The answer is a stranger's: it is read up to a small limit, and anything but
 * a list of address strings is refused with a named error.
 */
import { ThreadsError } from '../../core/errors.ts'
import { readBody } from './read-body.ts'

/** Health answers are a few hundred bytes; more is not a follower's. */
const MAX_HEALTH_BYTES = 64 * 1024
const MAX_ADDRESS_LENGTH = 1024

/** The follower's health endpoint could not be reached, or did not give an address to sync with. */
export class FollowerAddressError extends ThreadsError {
  static override readonly errorName = 'FollowerAddressError'
}

/** The first multiaddr the follower at `baseUrl` says it listens on; throws FollowerAddressError otherwise. */
export async function findFollower (baseUrl: string, options: { readonly timeoutMs: number }): Promise<string> {
  const url = new URL('/health', baseUrl)
  let health: { multiaddrs?: unknown }
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs) })
    const body = await readBody(response, MAX_HEALTH_BYTES, () => new FollowerAddressError(`The follower's health answer at ${url.href} is over ${MAX_HEALTH_BYTES} bytes`))
    health = JSON.parse(new TextDecoder().decode(body)) as { multiaddrs?: unknown }
  } catch (cause) {
    if (cause instanceof FollowerAddressError) throw cause
    throw new FollowerAddressError(`The follower's health endpoint at ${url.href} did not answer with JSON`, { cause })
  }
  const first = typeof health === 'object' && health !== null && Array.isArray(health.multiaddrs) ? health.multiaddrs[0] as unknown : undefined
  if (typeof first !== 'string' || first.length === 0 || first.length > MAX_ADDRESS_LENGTH) {
    throw new FollowerAddressError(`The follower at ${baseUrl} did not say its address`)
  }
  return first
}
