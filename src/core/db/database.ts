/**
 * The database: every thread this peer takes part in, over one storage
 * backend. Creating a thread makes its ID and this peer's log (identity, read
 * and follow keys); joining one makes this peer's own log in an existing
 * thread, given the keys of the logs already in it.
 */
import { generateSymmetricKey } from '../crypto/aead.ts'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { generateLogIdentity, logIdentityFromSeed, parseLogId } from '../ids/log-id.ts'
import { canonicalThreadId, createThreadId, ThreadVariant } from '../ids/thread-id.ts'
import { createRecordStore } from '../log/record-store.ts'
import type { StorageBackend } from '../storage/interfaces.ts'
import { createKeyBook } from '../storage/key-book.ts'
import { getValue, putValue } from '../storage/meta-values.ts'
import { createThreadBook, type ThreadInfo } from '../storage/thread-book.ts'
import type { Invite } from '../sync/invite.ts'
import { createStoreReplica, type SyncReplica } from '../sync/replica.ts'
import { ThreadNotFoundError } from './errors.ts'
import { openThreadDatabase, type LogGrant, type ThreadDatabase } from './thread-database.ts'

/** Options of openDatabase. */
export interface DatabaseOptions {
  readonly backend: StorageBackend
  readonly random?: RandomSource
  readonly now?: () => number
  /** Applied events between view snapshots (default 1000). */
  readonly snapshotEvery?: number
}

/** A peer's database of threads. */
export interface Database {
  createThread(options?: { name?: string, variant?: 'raw' | 'access-controlled' }): Promise<ThreadDatabase>
  /** Joins a thread whose logs' keys were shared with this peer. */
  joinThread(options: { id: string, name?: string, logs: readonly LogGrant[] }): Promise<ThreadDatabase>
  openThread(id: string): Promise<ThreadDatabase>
  listThreads(): Promise<ThreadInfo[]>
  /** Joins the thread of an invite (see sync/invite.ts); announce the join with `thread.joinAnnouncement()`. */
  acceptInvite(invite: Invite): Promise<ThreadDatabase>
  /** This database as sync sees it: received records pass through the threads' dispatchers. */
  syncReplica(): SyncReplica
  close(): Promise<void>
}

const ownLogKey = (thread: string): string => `own/${thread}`
/** How long addresses learnt from an invite are trusted. */
const INVITE_ADDRESS_TTL_MS = 30 * 24 * 3600 * 1000

/** Opens the database stored in `backend`. */
export function openDatabase (options: DatabaseOptions): Database {
  const { backend } = options
  const random = options.random ?? secureRandom
  const now = options.now ?? Date.now
  const records = createRecordStore({ backend })
  const keys = createKeyBook(backend.meta)
  const threads = createThreadBook(backend.meta)
  const open = new Map<string, Promise<ThreadDatabase>>()

  async function createOwnLog (thread: string): Promise<void> {
    const identity = generateLogIdentity(random)
    await keys.put(thread, identity.logId, { followKey: generateSymmetricKey(random), readKey: generateSymmetricKey(random), identitySeed: identity.seed })
    await backend.meta.batch([putValue(ownLogKey(thread), identity.logId)])
  }

  async function load (thread: string): Promise<ThreadDatabase> {
    const own = await getValue<string>(backend.meta, ownLogKey(thread))
    const ownKeys = own === undefined ? undefined : await keys.get(thread, own)
    if (ownKeys?.identitySeed === undefined || ownKeys.readKey === undefined) throw new ThreadNotFoundError(`this database has no log of its own in thread ${thread}`)
    return await openThreadDatabase({
      thread,
      backend,
      records,
      keys,
      identity: logIdentityFromSeed(ownKeys.identitySeed),
      followKey: ownKeys.followKey,
      readKey: ownKeys.readKey,
      random,
      now,
      snapshotEvery: options.snapshotEvery
    })
  }

  const db: Database = {
    async createThread (opts = {}) {
      const id = createThreadId({ variant: opts.variant === 'access-controlled' ? ThreadVariant.AccessControlled : ThreadVariant.Raw, random }).toString()
      await createOwnLog(id)
      await threads.put({ id, name: opts.name, createdAt: now() })
      return await db.openThread(id)
    },
    async joinThread ({ id: given, name, logs }) {
      // The ID a person pasted may be in another multibase; the thread is only ever kept under its canonical one.
      const id = canonicalThreadId(given)
      for (const grant of logs) parseLogId(grant.log)
      if (await getValue<string>(backend.meta, ownLogKey(id)) === undefined) await createOwnLog(id)
      for (const grant of logs) await keys.put(id, grant.log, { followKey: grant.followKey, readKey: grant.readKey })
      await threads.put({ id, name, createdAt: now() })
      return await db.openThread(id)
    },
    async openThread (given) {
      const id = canonicalThreadId(given)
      let thread = open.get(id)
      if (thread === undefined) {
        thread = load(id)
        open.set(id, thread)
        thread.catch(() => open.delete(id))
      }
      return await thread
    },
    listThreads: async () => await threads.list(),
    syncReplica: () => createStoreReplica({
      records,
      keys,
      meta: backend.meta,
      ingest: async (thread, received) => await (await db.openThread(thread)).ingestMany(received),
      learn: async (thread, announcements) => await (await db.openThread(thread)).learn(announcements)
    }),
    async acceptInvite (invite) {
      const thread = await db.joinThread({ id: invite.thread, name: invite.name, logs: invite.logs })
      await backend.meta.batch([putValue(`invited-via/${thread.id}`, invite.logs[0]!.log)])
      // The invite's addresses are where its logs can be fetched.
      if (invite.addrs.length > 0) for (const { log } of invite.logs) await thread.addAddresses(log, invite.addrs, INVITE_ADDRESS_TTL_MS)
      return thread
    },
    async close () {
      open.clear()
      await backend.close()
    }
  }
  return db
}
