/**
 * Short random names for instances that must be told apart (a worker, a tab):
 * 64 bits from the platform CSPRNG, as hex. Enough that two never collide in a
 * profile, short enough to show; not a secret and not a key.
 */

/** 64 random bits as 16 hex digits. */
export function randomId (): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('')
}
