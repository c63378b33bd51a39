/**
 * `npm run bench -- join`: a new member joining an album of 2,000 photos
 * (one record each: title, date and the ref of a real encrypted thumbnail,
 * whose blocks the follower keeps) through a follower process over loopback
 * libp2p, in Node with the real sync engine: until every thumbnail is held
 * and decrypted, from a writer's published snapshot and the thumbnail packs
 * it names (each a block of up to 1 MiB of the thumbnails' own encrypted
 * blocks, fetched from the follower over HTTP, a request each), beside full replay
 * (every record pulled, then each thumbnail fetched over bitswap as the
 * album's grid does, join-media.ts), in the same run. Rounds alternate the
 * two; the goal is the snapshot join ≥ 10× faster (medians). The time until
 * the snapshot is checked against the synced records is reported too.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { startSyncPeer } from '../src/adapters/libp2p/peer.ts'
import { openDatabase } from '../src/core/db/index.ts'
import { createMemoryBackend } from '../src/core/storage/memory.ts'
import { syncThread } from '../src/core/sync/engine.ts'
import { showFromSnapshot } from '../src/core/sync/snapshot-join.ts'
import { remoteSnapshotShelf } from '../src/core/sync/snapshot-shelf.ts'
import { startFollowerProcess } from '../test/helpers/follower-process.ts'
import { httpBlockFetcher } from '../src/adapters/http/block-fetch.ts'
import { mediaRefValue, PACK_LIMITS, packThumbnails, parseMediaRef } from '../src/core/media/index.ts'
import { loadThumbnailPacks } from '../src/services/thumbnail-packs.ts'
import { checkThumbnails, fetchThumbnails, makeThumbnails, pushBlocks, startJoinerMedia, waitForKept } from './join-media.ts'
import { median } from './lib.ts'

const PHOTOS = Number(process.env.JOIN_PHOTOS ?? 2000)
const ROUNDS = Number(process.env.JOIN_ROUNDS ?? 5)
const GOAL = 10

/** Runs the join benchmark; returns whether its goal was met. */
export async function benchJoin (): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'threads-bench-join-'))
  const follower = await startFollowerProcess(dir)
  const address = follower.multiaddr
  try {
    const writer = openDatabase({ backend: createMemoryBackend() })
    const album = await writer.createThread()
    const photos = album.collection('photos')
    const thumbnails = await makeThumbnails(PHOTOS)
    const thumbnailBytes = thumbnails.reduce((n, t) => n + t.plaintext.length, 0)
    await Promise.all(thumbnails.map(async (t, i) => await photos.create({
      _id: `photo-${i}`,
      title: `IMG_${String(i).padStart(4, '0')}.jpg`,
      addedAt: 1_700_000_000_000 + i,
      // What a photo's record carries of its thumbnail: the ref that finds and opens its encrypted blocks.
      thumbnail: mediaRefValue(t.ref)
    })))
    const writerPeer = await startSyncPeer()
    const toFollower = writerPeer.transportTo(address)
    await toFollower.request(await album.followRequest())
    const invite = await album.invite({ role: 'read', addrs: [address] })
    await syncThread({ thread: album.id, replica: writer.syncReplica(), transport: toFollower })
    // The records name the thumbnails' manifests: the follower keeps them, and takes their blocks pushed (manifests first: they name the chunks).
    await pushBlocks(follower.httpUrl, thumbnails.map((t) => t.blocks.at(-1)!))
    await pushBlocks(follower.httpUrl, thumbnails.flatMap((t) => t.blocks.slice(0, -1)))
    await waitForKept(follower.httpUrl, PHOTOS)
    const published = performance.now()
    // The album's thumbnails, as the blocks they are, in a few pack blocks the snapshot names and the follower keeps.
    const packs = await packThumbnails(thumbnails.map((t) => [t.blocks.at(-1)!, ...t.blocks.slice(0, -1)]))
    const snapshot = await album.publishSnapshot({ thumbs: packs.map((p) => p.cid.toString()) })
    const snapshotBytes = snapshot.blocks.reduce((n, b) => n + b.bytes.length, snapshot.root.bytes.length)
    await remoteSnapshotShelf(async (request) => await toFollower.request(request)).put(album.id, snapshot)
    await pushBlocks(follower.httpUrl, packs)
    const publishMs = performance.now() - published
    const packBytes = packs.reduce((n, p) => n + p.bytes.length, 0)
    await writerPeer.stop()

    // The packs come from the follower over HTTP, a request each.
    const packFetch = httpBlockFetcher(follower.httpUrl, PACK_LIMITS.maxBlockBytes)
    const replayMs: number[] = []
    const snapshotMs: number[] = []
    const verifiedMs: number[] = []
    const phases = { shown: [] as number[], packs: [] as number[], opened: [] as number[] }
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of round % 2 === 0 ? ['replay', 'snapshot'] as const : ['snapshot', 'replay'] as const) {
        const reader = openDatabase({ backend: createMemoryBackend() })
        const joined = await reader.acceptInvite(invite)
        const peer = await startSyncPeer()
        const media = await startJoinerMedia(peer.node)
        await peer.node.dial(multiaddr(address))
        const transport = peer.transportTo(address)
        const start = performance.now()
        let shown: Map<string, Uint8Array>
        if (mode === 'replay') {
          await syncThread({ thread: joined.id, replica: reader.syncReplica(), transport, batchSize: 512 })
          shown = await fetchThumbnails(media.store, joined.collection('photos').find({}))
          replayMs.push(performance.now() - start)
        } else {
          // The snapshot shown, its thumbnails come first; the records and the check of the snapshot follow (as joinFromSnapshot's rest).
          const joining = await showFromSnapshot({ thread: joined, replica: reader.syncReplica(), transport })
          if (joining.snapshot === undefined) throw new Error(`the snapshot was not used: ${joining.refused?.message ?? 'none found'}`)
          const photos = joined.collection('photos').find({})
          if (photos.length !== PHOTOS) throw new Error('the snapshot did not show every photo')
          const t1 = performance.now()
          phases.shown.push(t1 - start)
          // Each pack's thumbnails open as soon as it is stored (as the app's grid asks for them), while the next packs come:
          // opened as the grid opens any thumbnail, every block held here, checked again and decrypted.
          const byRoot = new Map(photos.map((p) => [parseMediaRef(p.thumbnail).root.toString(), p]))
          const opening: Array<Promise<Map<string, Uint8Array>>> = []
          const loaded = await loadThumbnailPacks({
            packs: joining.snapshot.manifest.thumbs ?? [],
            thumbnails: photos.map((p) => p.thumbnail),
            blocks: media.store.blocks,
            fetch: packFetch,
            onStored: (roots) => { opening.push(fetchThumbnails(media.store, roots.map((root) => byRoot.get(root)!))) }
          })
          if (loaded.refused.length > 0) throw new Error(`thumbnail packs were refused: ${loaded.refused.map((e) => `${e.name}: ${e.message}`).join('; ')}`)
          const t2 = performance.now()
          phases.packs.push(t2 - t1)
          shown = new Map((await Promise.all(opening)).flatMap((part) => [...part]))
          phases.opened.push(performance.now() - t2)
          snapshotMs.push(performance.now() - start)
          await syncThread({ thread: joined.id, replica: reader.syncReplica(), transport, batchSize: 512 })
          const check = await joined.checkSnapshot()
          verifiedMs.push(performance.now() - start)
          if (check.state !== 'verified') throw new Error(`the snapshot was not verified: ${check.state}`)
        }
        checkThumbnails(mode, shown, thumbnails)
        await media.stop()
        await peer.stop()
        await reader.close()
      }
    }
    const ratio = median(replayMs) / median(snapshotMs)
    const ratios = replayMs.map((r, i) => r / snapshotMs[i]!)
    const ok = ratio >= GOAL
    console.log(`\nJoin (Node, a new member joins an album of ${PHOTOS.toLocaleString('en')} photos, thumbnails ${(thumbnailBytes / 1e6).toFixed(1)} MB, through a follower process over loopback libp2p; snapshot ${(snapshotBytes / 1e3).toFixed(0)} kB and ${packs.length} thumbnail packs of ${(packBytes / 1e6).toFixed(1)} MB, made, published and pushed in ${publishMs.toFixed(0)} ms; medians of ${ROUNDS} rounds; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores)`)
    console.log(`  until every thumbnail is held and decrypted, full replay: ${replayMs.map((t) => t.toFixed(0)).join(', ')} ms`)
    console.log(`  until every thumbnail is held and decrypted, from the snapshot: ${snapshotMs.map((t) => t.toFixed(0)).join(', ')} ms`)
    console.log(`  of which: photos shown ${phases.shown.map((t) => t.toFixed(0)).join(', ')} ms; packs fetched and unpacked, each pack's thumbnails opening as it is in, ${phases.packs.map((t) => t.toFixed(0)).join(', ')} ms; the last thumbnails opened after that ${phases.opened.map((t) => t.toFixed(0)).join(', ')} ms`)
    console.log(`  until the snapshot is checked against every record (in the background): ${verifiedMs.map((t) => t.toFixed(0)).join(', ')} ms`)
    console.log(`${'join from snapshot vs full replay'.padEnd(44)} ${median(snapshotMs).toFixed(0).padStart(8)} ms   ${'full replay'.padEnd(36)} ${median(replayMs).toFixed(0).padStart(8)} ms   ${ratio.toFixed(1)}× faster (${Math.min(...ratios).toFixed(1)}–${Math.max(...ratios).toFixed(1)}; goal ≥ ${GOAL}×) ${ok ? 'ok' : 'BELOW GOAL'}`)
    await writer.close()
    return ok
  } finally {
    await follower.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
