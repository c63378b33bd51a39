/**
 * The database: every thread this peer takes part in, over one storage
 * backend. Every thread is access-controlled (record format 3). Creating one
 * makes this peer its owner: a log identity and X25519 key, the keys of
 * epoch 0 and a nonce, a thread ID bound to them, and the genesis ACL event
 * at seq 1 of its log. Accepting an invite makes this peer's log in an
 * existing thread, opened by a `join` ACL event, with the epoch keys the
 * invite carried.
 */
import { x25519 } from '@noble/curves/ed25519.js'
import { generateSymmetricKey } from '../crypto/aead.ts'
import type { SignerFactory } from '../crypto/ed25519.ts'
import type { Sha256 } from '../log/blocks.ts'
import { secureRandom, type RandomSource } from '../crypto/random.ts'
import { UnsupportedThreadError } from '../errors.ts'
import { epochKeyId } from '../acl/epoch-keys.ts'
import { generateLogIdentity } from '../ids/log-id.ts'
import { canonicalThreadId, parseThreadId, ThreadVariant } from '../ids/thread-id.ts'
import { generateGenesisNonce, threadIdForGenesis } from '../acl/genesis.ts'
import { createRecordStore } from '../log/record-store.ts'
import type { StorageBackend } from '../storage/interfaces.ts'
import { createKeyBook } from '../storage/key-book.ts'
import { createThreadBook, type ThreadInfo } from '../storage/thread-book.ts'
import { createJoinChange, InvalidInviteError, type Invite } from '../sync/invite.ts'
import { createStoreReplica, type SyncReplica } from '../sync/replica.ts'
import { ThreadNotFoundError } from './errors.ts'
import { forgetThread } from './forget-thread.ts'
import { openThreadDatabase, type ThreadDatabase } from './thread-database.ts'

/** Options of openDatabase. */
export interface DatabaseOptions {
  readonly backend: StorageBackend
  readonly random?: RandomSource
  readonly now?: () => number
  /** Applied events between view snapshots (default 1000). */
  readonly snapshotEvery?: number
  /**
   * Makes the Ed25519 signer of this peer's logs from their seeds: WebCrypto by
   * default; in Node, `createNodeSigner` (src/adapters/node/) signs through
   * node:crypto at a third of WebCrypto's CPU cost per record.
   */
  readonly signer?: SignerFactory
  /**
   * Hashes the blocks of the records this peer writes: @noble/hashes by
   * default; in Node, `nodeSha256` (src/adapters/node/) hashes through
   * node:crypto at a fraction of the CPU cost. Same digests either way.
   */
  readonly sha256?: Sha256
}

/** A peer's database of threads. */
export interface Database {
  /** Creates an access-controlled thread owned by a new log of this peer. */
  createThread(options?: { name?: string }): Promise<ThreadDatabase>
  openThread(id: string): Promise<ThreadDatabase>
  listThreads(): Promise<ThreadInfo[]>
  /** Joins the thread of an invite (see sync/invite.ts): this peer's new log opens with a join ACL event. */
  acceptInvite(invite: Invite): Promise<ThreadDatabase>
  /**
   * Removes a thread from this device (see forget-thread.ts): its keys, records
   * and views; other replicas keep theirs. Stop syncing it first.
   */
  forgetThread(id: string): Promise<void>
  /** This database as sync sees it: received records pass through the threads' dispatchers. */
  syncReplica(): SyncReplica
  close(): Promise<void>
}

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

  async function load (thread: string): Promise<ThreadDatabase> {
    const self = await keys.findSelf(thread)
    if (self === undefined) throw new ThreadNotFoundError(`this database has no log of its own in thread ${thread}`)
    return await openThreadDatabase({ thread, backend, records, keys, self, random, now, snapshotEvery: options.snapshotEvery, signer: options.signer, sha256: options.sha256 })
  }

  const db: Database = {
    async createThread (opts = {}) {
      const identity = generateLogIdentity(random)
      const x25519Secret = random(32)
      const nonce = generateGenesisNonce(random)
      const followKey = generateSymmetricKey(random)
      const keyId = epochKeyId(followKey)
      const id = threadIdForGenesis(identity.logId, nonce).toString()
      await keys.putEpoch(id, { keyId, epoch: 0, followKey, readKey: generateSymmetricKey(random) })
      await keys.putSelf(id, {
        log: identity.logId,
        identitySeed: identity.seed,
        x25519Secret,
        first: { changes: [{ type: 'genesis', nonce, followKeyId: keyId, x25519: x25519.getPublicKey(x25519Secret) }], deps: [] }
      })
      await threads.put({ id, name: opts.name, createdAt: now() })
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
    async forgetThread (given) {
      const id = canonicalThreadId(given)
      open.delete(id)
      await forgetThread(backend, id)
    },
    syncReplica: () => createStoreReplica({
      records,
      keys,
      ingest: async (thread, received) => await (await db.openThread(thread)).ingestMany(received)
    }),
    async acceptInvite (invite) {
      // The ID a person pasted may be in another multibase; the thread is only ever kept under its canonical one.
      const id = canonicalThreadId(invite.thread)
      if (parseThreadId(id).variant !== ThreadVariant.AccessControlled) throw new UnsupportedThreadError(`thread ${id} is not access-controlled`)
      if (id !== invite.thread) throw new InvalidInviteError('an invite names its thread in canonical form')
      if (await keys.findSelf(id) === undefined) {
        const identity = generateLogIdentity(random)
        const x25519Secret = random(32)
        const first = await createJoinChange({ invite, member: identity, x25519: x25519.getPublicKey(x25519Secret), time: now() })
        for (const epoch of invite.epochs) await keys.putEpoch(id, epoch)
        await keys.putSelf(id, { log: identity.logId, identitySeed: identity.seed, x25519Secret, first, invite: { record: invite.via.record, x25519Secret: invite.shareSecret } })
        await threads.put({ id, name: invite.name, createdAt: now() })
      } else {
        for (const epoch of invite.epochs) await keys.putEpoch(id, epoch)
      }
      const thread = await db.openThread(id)
      // The invite's addresses are where the inviting log (and so the thread) can be fetched.
      if (invite.addrs.length > 0) await thread.addAddresses(invite.via.log, invite.addrs, INVITE_ADDRESS_TTL_MS)
      return thread
    },
    async close () {
      open.clear()
      await backend.close()
    }
  }
  return db
}
