/** A writer's album followed by a follower process, with a read invite, as joins through a follower start. */
import { startSyncPeer } from '../../src/adapters/libp2p/peer.ts'
import { openDatabase, type Database, type ThreadDatabase } from '../../src/core/db/index.ts'
import type { Invite } from '../../src/core/sync/invite.ts'
import type { SyncTransport } from '../../src/core/sync/engine.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { syncThread } from '../../src/core/sync/engine.ts'
import { httpSyncTransport } from '../../src/adapters/http/sync-transport.ts'
import { tempDir } from './cleanup.ts'
import { startFollowerProcess, type FollowerProcess } from './follower-process.ts'

/** The writer's database and album, its transport to the follower, and a read invite. */
export interface FollowedAlbum {
  readonly db: Database
  readonly album: ThreadDatabase
  readonly toFollower: SyncTransport
  readonly invite: Invite
  /** Syncs the album with the follower. */
  sync(): Promise<void>
}

/** Makes an album, fills it with `fill`, has `follower` follow it and syncs it there. */
export async function followedAlbum (follower: FollowerProcess, cleanup: (step: () => Promise<unknown>) => void, fill: (album: ThreadDatabase) => Promise<void>): Promise<FollowedAlbum> {
  const db = openDatabase({ backend: createMemoryBackend() })
  const album = await db.createThread()
  await fill(album)
  const peer = await startSyncPeer()
  cleanup(async () => await peer.stop())
  const toFollower = peer.transportTo(follower.multiaddr)
  await toFollower.request(await album.followRequest())
  const invite = await album.invite({ role: 'read' })
  const sync = async (): Promise<void> => { await syncThread({ thread: album.id, replica: db.syncReplica(), transport: toFollower }) }
  await sync()
  return { db, album, toFollower, invite, sync }
}

/** A new member who accepted `invite`: its database, the joined thread, and a transport to `follower`. */
export async function joinerOf (follower: FollowerProcess, invite: Invite, cleanup: (step: () => Promise<unknown>) => void): Promise<{ readonly db: Database, readonly thread: ThreadDatabase, readonly transport: SyncTransport }> {
  const db = openDatabase({ backend: createMemoryBackend() })
  const thread = await db.acceptInvite(invite)
  const peer = await startSyncPeer()
  cleanup(async () => await peer.stop())
  return { db, thread, transport: peer.transportTo(follower.multiaddr) }
}

/** A follower process in a temporary directory named from `prefix`, stopped after all, and a sync transport to its HTTP side. */
export async function followerOverHttp (prefix: string, cleanup: (step: () => Promise<unknown>) => void): Promise<{ readonly follower: FollowerProcess, readonly http: SyncTransport }> {
  const follower = await startFollowerProcess(await tempDir(prefix, cleanup))
  cleanup(async () => await follower.stop())
  return { follower, http: httpSyncTransport(follower.httpUrl) }
}
