/**
 * Where published snapshots (db/published-snapshot.ts) are kept and fetched:
 * behind `SnapshotShelf`, so the transport can change (today the sync
 * protocol's `snapshot-put` and `snapshot-get`, and a follower's store; a
 * block exchange later) without the join path changing.
 *
 * A follower holds follow keys only, yet checks everything about a snapshot
 * but its sealed content before keeping it: its blocks against their CIDs,
 * the publisher's signature, the publisher's role (write or above) at the
 * position it covers by the follower's own ACL, and that each covered
 * position holds the record the snapshot names. It keeps the newest per
 * thread (the one covering most records; one that covers fewer than the one
 * kept is refused as stale), so storage per thread stays within one
 * snapshot's size limit.
 */
import { atLeast } from '../acl/roles.ts'
import { createAdmission } from '../log/admission.ts'
import type { RecordStore } from '../log/record-store.ts'
import type { KeyValueStore } from '../storage/interfaces.ts'
import type { KeyBook } from '../storage/key-book.ts'
import { getValue, putValue } from '../storage/meta-values.ts'
import { readSignedSnapshot, type SnapshotBundle, type SnapshotManifest } from '../db/published-snapshot.ts'
import { SnapshotPublisherError, SnapshotVectorError } from '../db/snapshot-errors.ts'
import { ThreadsError } from '../errors.ts'
import { SYNC_VERSION, type RecordEnvelope, type SyncRequest, type SyncResponse } from './messages.ts'

/** A snapshot that covers no more than the one already kept. */
export class StaleSnapshotError extends ThreadsError {
  static override readonly errorName = 'StaleSnapshotError'
}

/** Keeps and serves a thread's newest published snapshot. */
export interface SnapshotShelf {
  /** Checks and keeps `bundle` as `thread`'s newest snapshot; a refusal throws its named error. */
  put(thread: string, bundle: SnapshotBundle): Promise<void>
  /** The newest snapshot kept for `thread`, if any; `first` is the asker's join, for a shelf that must admit it first. */
  latest(thread: string, first?: RecordEnvelope): Promise<SnapshotBundle | undefined>
}

const shelfKey = (thread: string): string => `published-snapshot/${thread}`
const covered = (manifest: SnapshotManifest): number => manifest.vector.reduce((n, [, seq]) => n + seq, 0)

/**
 * A shelf in `meta`, checking each snapshot against the thread's records and
 * ACL as `records` holds them; `kept` hears of each snapshot kept (a
 * follower keeps the thumbnail packs it names).
 */
export function createSnapshotShelf (deps: {
  readonly meta: KeyValueStore
  readonly records: RecordStore
  readonly keys: KeyBook
  readonly kept?: (thread: string, manifest: SnapshotManifest) => Promise<void>
}): SnapshotShelf {
  const { meta, records, keys } = deps
  return {
    async put (thread, bundle) {
      const { manifest } = await readSignedSnapshot(thread, bundle)
      const own = manifest.vector.find(([log]) => log === manifest.by)
      const role = (await createAdmission({ thread, records }).state(await keys.keyring(thread))).roleAt(manifest.by, own?.[1] ?? 0)
      if (!atLeast(role, 'write')) throw new SnapshotPublisherError(`log ${manifest.by} has role ${role} at the snapshot's position; publishing a snapshot needs write`)
      for (const [log, seq, record] of manifest.vector) {
        const held = await records.recordAt(thread, log, seq)
        if (held !== record) throw new SnapshotVectorError(`the snapshot names record ${record} at seq ${seq} of log ${log}; this peer holds ${held ?? 'nothing'} there`)
      }
      const kept = await this.latest(thread)
      if (kept !== undefined && covered((await readSignedSnapshot(thread, kept)).manifest) >= covered(manifest)) {
        throw new StaleSnapshotError(`a snapshot of thread ${thread} covering as many records or more is kept already`)
      }
      await meta.batch([putValue(shelfKey(thread), { root: bundle.root, blocks: bundle.blocks })])
      await deps.kept?.(thread, manifest)
    },
    latest: async (thread) => await getValue<SnapshotBundle>(meta, shelfKey(thread))
  }
}

/** A shelf reached through a peer's sync requests (`request` adds this member's pull proof where one is needed). */
export function remoteSnapshotShelf (request: (request: SyncRequest) => Promise<SyncResponse>): SnapshotShelf {
  const expect = <T extends SyncResponse['type']>(response: SyncResponse, type: T): Extract<SyncResponse, { type: T }> => {
    if (response.type === 'error') throw new RemoteSnapshotError(response.message, response.name)
    if (response.type !== type) throw new RemoteSnapshotError(`peer answered ${response.type}`, 'UnexpectedResponse')
    return response as Extract<SyncResponse, { type: T }>
  }
  return {
    async put (thread, bundle) {
      expect(await request({ v: SYNC_VERSION, type: 'snapshot-put', thread, snapshot: bundle }), 'snapshot-stored')
    },
    async latest (thread, first) {
      return expect(await request({ v: SYNC_VERSION, type: 'snapshot-get', thread, ...first === undefined ? {} : { first } }), 'snapshot').snapshot
    }
  }
}

/** A peer refused a snapshot request; `remoteName` is the name of its error. */
export class RemoteSnapshotError extends ThreadsError {
  static override readonly errorName = 'RemoteSnapshotError'
  readonly remoteName: string
  constructor (message: string, remoteName: string) {
    super(`${remoteName}: ${message}`)
    this.remoteName = remoteName
  }
}
