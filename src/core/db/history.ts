/**
 * A thread's history as its members can read it: the newest records of every
 * log, each with where it sits (log, seq, record ID), the records of other
 * logs it names as dependencies, when its writer says it was made, and what it
 * did, summarised (database operations by collection and document, with the
 * fields they set; ACL changes by type, with a name or role where they carry
 * one). Every record read here was verified when it was stored; a record
 * whose payload this member cannot open is listed as unreadable, never dropped.
 */
import { parseAclBody } from '../acl/codec.ts'
import type { AclChange } from '../acl/types.ts'
import { ThreadsError } from '../errors.ts'
import { headerKeyOf } from '../log/create-record.ts'
import type { EpochKeyring } from '../log/keyring.ts'
import { decryptBody, decryptHeader, openRecordUnsigned } from '../log/open-record.ts'
import type { RecordStore } from '../log/record-store.ts'
import { parseDbEvent, type Operation } from './events.ts'

/** One operation of a database record, without its values except short strings (a caption, a name). */
export interface HistoryOperation {
  readonly op: Operation['op']
  readonly coll: string
  readonly id: string
  /** For create and patch: the fields set, with string values up to 200 characters (others as null). */
  readonly set?: Readonly<Record<string, string | null>>
}

/** One ACL change, by type, with the name or role it carries. */
export interface HistoryAclChange {
  readonly type: AclChange['type']
  readonly name?: string
  readonly member?: string
  readonly role?: string
}

/** One record of the history. */
export interface HistoryEntry {
  readonly log: string
  readonly seq: number
  readonly record: string
  /** The writer's wall clock when it was made (ms since the epoch), or 0 where unreadable. */
  readonly time: number
  /** Records of other logs this one depends on. */
  readonly deps: ReadonlyArray<{ readonly log: string, readonly record: string }>
  readonly kind: 'db' | 'acl' | 'unreadable'
  readonly ops?: readonly HistoryOperation[]
  readonly acl?: readonly HistoryAclChange[]
}

/** The most records read per log, newest first: enough for an activity list and a picture of recent history. */
export const HISTORY_PER_LOG = 100
const MAX_TEXT = 200

const short = (v: unknown): string | null => typeof v === 'string' ? v.slice(0, MAX_TEXT) : null

function summarise (op: Operation): HistoryOperation {
  const at = { op: op.op, coll: op.coll, id: op.id }
  if (op.op === 'create') return { ...at, set: Object.fromEntries(Object.entries(op.fields).map(([k, v]) => [k, short(v)])) }
  if (op.op === 'patch') return { ...at, set: Object.fromEntries(Object.entries(op.set).map(([k, v]) => [k, short(v)])) }
  return at
}

function aclChange (change: AclChange): HistoryAclChange {
  if (change.type === 'profile') return { type: change.type, name: change.name }
  if (change.type === 'role') return { type: change.type, member: change.member, role: change.role }
  if (change.type === 'invite') return { type: change.type, role: change.role }
  return { type: change.type }
}

/** How many summaries a {@link HistoryCache} keeps. */
const CACHED = 4096

/** Summaries of records already read, by record ID: a record never changes, so each is opened once. */
export type HistoryCache = Map<string, HistoryEntry>

/**
 * Reads the newest `perLog` records of each of the thread's logs, oldest first
 * within each log; records summarised before are taken from `cache`.
 */
export async function readHistory ({ thread, records, keyring, perLog = HISTORY_PER_LOG, cache = new Map() }: { thread: string, records: RecordStore, keyring: EpochKeyring, perLog?: number, cache?: HistoryCache }): Promise<HistoryEntry[]> {
  const out: HistoryEntry[] = []
  for (const head of await records.heads(thread)) {
    for (let seq = Math.max(1, head.seq - perLog + 1); seq <= head.seq; seq++) {
      const record = await records.recordAt(thread, head.log, seq)
      if (record === undefined) continue
      const known = cache.get(record)
      if (known !== undefined) {
        out.push(known)
        continue
      }
      const blocks = await records.recordBlocks(record, keyring)
      const node = openRecordUnsigned(blocks[0]!, keyring)
      const at = { log: head.log, seq, record, deps: node.deps.filter((d) => d.log !== head.log).map((d) => ({ log: d.log, record: String(d.record) })) }
      try {
        const [, , header, body] = blocks
        const epoch = { followKey: keyring.followKey(node.key)!, readKey: keyring.readKey(node.key) }
        if (header === undefined || body === undefined || epoch.followKey === undefined) throw new ThreadsError('the record lacks its header or body, or its epoch key')
        const opened = decryptHeader(header, headerKeyOf(epoch, node.kind))
        const payload = decryptBody(body, opened.key)
        out.push(node.kind === 'acl'
          ? { ...at, time: opened.time, kind: 'acl', acl: parseAclBody(payload).changes.map(aclChange) }
          : { ...at, time: opened.time, kind: 'db', ops: parseDbEvent(payload).ops.map(summarise) })
        remember(cache, out.at(-1)!)
      } catch (error) {
        if (!(error instanceof ThreadsError)) throw error
        // Not remembered: a key that arrives later (a share of an epoch) may open it.
        out.push({ ...at, time: 0, kind: 'unreadable' })
      }
    }
  }
  return out
}

function remember (cache: HistoryCache, entry: HistoryEntry): void {
  if (cache.size >= CACHED) cache.delete(cache.keys().next().value!)
  cache.set(entry.record, entry)
}
