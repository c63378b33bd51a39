/**
 * Thread metadata: which threads this peer knows, their variant and a
 * display name. Log membership lives in the key book; heads in the record store.
 */
import type { KeyValueStore, StoreCallOptions } from './interfaces.ts'
import { getValue, listValues, putValue } from './meta-values.ts'

/** What is stored about a thread. */
export interface ThreadInfo {
  readonly id: string
  readonly name?: string
  readonly createdAt: number
}

/** Thread metadata operations. */
export interface ThreadBook {
  put(info: ThreadInfo, options?: StoreCallOptions): Promise<void>
  get(id: string, options?: StoreCallOptions): Promise<ThreadInfo | undefined>
  list(options?: StoreCallOptions): Promise<ThreadInfo[]>
}

/** A thread book stored in `meta`. */
export function createThreadBook (meta: KeyValueStore): ThreadBook {
  return {
    async put (info, options) {
      const value: Record<string, unknown> = { id: info.id, createdAt: info.createdAt }
      if (info.name !== undefined) value.name = info.name
      await meta.batch([putValue(`threads/${info.id}`, value)], options)
    },
    async get (id, options) {
      return await getValue<ThreadInfo>(meta, `threads/${id}`, options)
    },
    async list (options) {
      const out: ThreadInfo[] = []
      for await (const [, info] of listValues<ThreadInfo>(meta, 'threads/', options)) out.push(info)
      return out
    }
  }
}
