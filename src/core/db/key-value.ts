/**
 * A key-value store on the same machinery as collections: each key is a
 * document of the reserved collection "_kv" holding `value`, so puts and
 * deletes are events, merge like any document and show up in snapshots.
 */
import type { Collection, CollectionOptions } from './collection.ts'

/** The reserved collection name of the key-value store. */
export const KV_COLLECTION = '_kv'

/** Key-value operations. */
export interface KeyValue {
  put(key: string, value: unknown): Promise<void>
  get(key: string): unknown
  delete(key: string): Promise<void>
  /** Every key, in ascending order. */
  keys(): string[]
}

/** A key-value store over the collection factory of a thread or transaction. */
export function createKeyValue (collection: (name: string, options?: CollectionOptions) => Collection): KeyValue {
  const kv = (): Collection => collection(KV_COLLECTION)
  return {
    async put (key, value) {
      await kv().upsert({ _id: key, value })
    },
    get: (key) => kv().get(key)?.value,
    async delete (key) {
      try {
        await kv().delete(key)
      } catch (error) {
        if ((error as Error).name !== 'DocumentNotFoundError') throw error
      }
    },
    keys: () => kv().find({}).map((doc) => doc._id)
  }
}
