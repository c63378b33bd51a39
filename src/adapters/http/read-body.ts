/**
 * Reading an HTTP response from a peer that may send anything: a body is read
 * up to a limit and no further, and one that is not wanted is cancelled.
 */
import { createLogger } from '../../core/logger.ts'

const log = createLogger('http')

/** The body of `response`, read up to `maxBytes`; beyond that, cancels it and throws `tooLarge()`. */
export async function readBody (response: Response, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
    await discardBody(response)
    throw tooLarge()
  }
  if (response.body === null) return new Uint8Array(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch((error: unknown) => { log.failure(`cancelling an answer from ${response.url} over ${maxBytes} bytes`, error) })
      throw tooLarge()
    }
    chunks.push(value)
  }
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) { body.set(chunk, offset); offset += chunk.byteLength }
  return body
}

/** Cancels a body that will not be read; a body that cannot be cancelled is already gone. */
export async function discardBody (response: Response): Promise<void> {
  await response.body?.cancel().catch((error: unknown) => { log.failure(`cancelling an unread answer from ${response.url}`, error) })
}
