/** The database API: what app developers program against (docs/API.md). */
export { openDatabase, type Database, type DatabaseOptions } from './database.ts'
export type { ThreadDatabase, Transaction, LogGrant, RecordEnvelope } from './thread-database.ts'
export type { Collection, CollectionOptions } from './collection.ts'
export type { KeyValue } from './key-value.ts'
export type { Doc } from './doc-state.ts'
export type { Filter, FindOptions, QueryPlan } from './query.ts'
export type { JsonSchema } from './schema.ts'
export * from './errors.ts'
