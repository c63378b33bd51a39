/**
 * The few runtime globals core may use, typed here because core compiles without
 * DOM or Node types. Node 22, Chromium and workers all provide them.
 */
declare global {
  interface AbortSignal {
    readonly aborted: boolean
    readonly reason: unknown
    addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
    removeEventListener(type: 'abort', listener: () => void): void
  }
  interface AbortController {
    readonly signal: AbortSignal
    abort(reason?: unknown): void
  }
  // eslint-disable-next-line no-var
  var AbortController: { new (): AbortController }
  function queueMicrotask (callback: () => void): void
  function setTimeout (callback: () => void, ms?: number): unknown
  function clearTimeout (handle: unknown): void
  // eslint-disable-next-line no-var
  var AbortSignal: { timeout(ms: number): AbortSignal }
  // eslint-disable-next-line no-var
  var performance: { now(): number }
  // eslint-disable-next-line no-var
  var crypto: {
    readonly subtle: WebCryptoSubtle
    getRandomValues<T extends Uint8Array>(array: T): T
  }
  interface WebCryptoKey { readonly type: string }
  interface WebCryptoSubtle {
    importKey(format: 'raw' | 'jwk' | 'pkcs8', keyData: Uint8Array | object, algorithm: { name: string }, extractable: boolean, usages: string[]): Promise<WebCryptoKey>
    sign(algorithm: { name: string }, key: WebCryptoKey, data: Uint8Array): Promise<ArrayBuffer>
    verify(algorithm: { name: string }, key: WebCryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean>
    digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>
  }
}
export {}
