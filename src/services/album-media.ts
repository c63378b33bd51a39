/**
 * The album service's media requests: adding a photo with its original,
 * preview and thumbnail (each encrypted in chunks under a key of its own and
 * stored as blocks, the record carrying the refs that open them); handing a
 * tab one of them as a Blob, fetched from peers where this device lacks it;
 * an album's "keep originals on this device" choice; and how many of the
 * originals this device added a backup server has confirmed it holds.
 *
 * Guarantees:
 * - a file is read and written a piece at a time: adding or opening a 200 MB
 *   original holds a few MiB of it in the worker, never the file;
 * - nothing is written to the album until every block of the photo is stored
 *   here, so a record never references blocks this device cannot serve;
 * - every block fetched is checked against its CID and every chunk
 *   authenticated before a byte reaches the tab (src/core/media);
 * - progress goes to the asking tab only, as `media.progress` events naming
 *   the tab's task.
 */
import type { ThreadDatabase } from '../core/db/index.ts'
import { BlockNotFoundError } from '../core/errors.ts'
import { createLogger } from '../core/logger.ts'
import { encryptMedia, mediaRefValue, openMedia, parseMediaRef, type MediaRef } from '../core/media/index.ts'
import { isImage } from '../protocol/album-messages.ts'
import { ThumbnailTooLargeError } from '../protocol/errors.ts'
import { MEDIA_MESSAGE_LIMITS, type MediaVariant } from '../protocol/media-messages.ts'
import type { LinkContext, RequestHandlers } from '../protocol/rpc-server.ts'
import type { CachedImage } from '../protocol/tab-views.ts'
import { cleanMedia, PHOTOS } from './album-snapshot.ts'
import { MediaUnavailableError, PhotoNotFoundError } from './errors.ts'
import { blobPieces, gatherBlob } from './media-blobs.ts'
import type { MediaStore } from './media-store.ts'

const log = createLogger('services:album-media')

/** What the media requests need from the album service. */
export interface MediaHandlerDeps {
  /** The device's media, where the host has a block store and peers to fetch from. */
  readonly media: MediaStore | undefined
  /** The album, opened (and its sync started) on first use. */
  readonly album: (id: string) => Promise<{ readonly thread: ThreadDatabase }>
  /** Runs a write to the album as its member, then syncs it (the album service's `asMember` and `wrote`). */
  readonly write: <T>(id: string, doing: string, fn: (thread: ThreadDatabase) => Promise<T>) => Promise<T>
  /** Something about the album changed: tell the tabs following it. */
  readonly changed: (id: string) => void
  /** Resolves once the thumbnail of root `root` is in from the album's packs, if a join is loading them (or they were all tried): it then opens from here. */
  readonly thumbnailReady?: (id: string, root: string) => Promise<void>
}

type MediaHandlers = Pick<RequestHandlers, 'photo.addMedia' | 'photo.media' | 'album.keepOriginals' | 'album.ownOriginals'>

/** The largest file of each variant this device fetches. */
const MAX_BYTES: { readonly [V in MediaVariant]: number } = {
  thumbnail: MEDIA_MESSAGE_LIMITS.maxThumbnailBytes,
  preview: MEDIA_MESSAGE_LIMITS.maxPreviewBytes,
  original: MEDIA_MESSAGE_LIMITS.maxOriginalBytes
}

/** Refuses a thumbnail of `bytes` past the cap (ThumbnailTooLargeError), before anything of it is read. */
function thumbnailWithin (bytes: number): void {
  if (bytes > MAX_BYTES.thumbnail) throw new ThumbnailTooLargeError(`This thumbnail is ${bytes} bytes; a thumbnail may take ${MAX_BYTES.thumbnail} bytes (so a tab can list thousands), so it is not shown`)
}

/** How long fetching a file of `bytes` may take: two minutes, and a second per 100 kB (a slow connection). */
export const fetchTimeoutMs = (bytes: number): number => 120_000 + Math.ceil(bytes / 100)

/** How long asking the backup server about an album's unconfirmed originals may hold up counting them. */
const CONFIRM_TIMEOUT_MS = 15_000

/** Reports progress to the asking tab at most every this many bytes (and at the end). */
const PROGRESS_STEP = 1024 * 1024

/** The media request handlers. */
export function mediaHandlers (deps: MediaHandlerDeps): MediaHandlers {
  const media = (): MediaStore => {
    if (deps.media === undefined) throw new MediaUnavailableError('This device has no store for photos\' files; reload the page')
    return deps.media
  }

  /** A progress reporter for `task` on `link`, throttled to a step. */
  const progress = (link: LinkContext, task: string | undefined, phase: 'store' | 'fetch', total: number) => {
    let told = -PROGRESS_STEP
    return (done: number): void => {
      if (task === undefined || (done - told < PROGRESS_STEP && done < total)) return
      told = done
      link.emit({ type: 'media.progress', task, phase, done, total })
    }
  }

  /**
   * Per album, when the last photo asked for has started its record write. Photos sent together
   * are encrypted at once; each record write starts once the one asked for before it started,
   * so they reach the database's queue in order and commit together (group commit).
   */
  const started = new Map<string, Promise<void>>()
  /** Per album, the newest `addedAt` given: photos added in one millisecond still sort in the order asked. */
  const lastAdded = new Map<string, number>()
  /** Writes the record `doc` will be (undefined: none, the photo failed) once every photo asked before it started its write. */
  const inTurn = (thread: string, doc: Promise<Record<string, unknown> | undefined>): Promise<string | undefined> => {
    const mine = (started.get(thread) ?? Promise.resolve()).then(async () => await doc)
    const turn = mine.then(() => {})
    started.set(thread, turn)
    void turn.then(() => { if (started.get(thread) === turn) started.delete(thread) })
    return mine.then(async (fields) => {
      if (fields === undefined) return undefined
      const addedAt = Math.max(Date.now(), (lastAdded.get(thread) ?? 0) + 1)
      lastAdded.set(thread, addedAt)
      return await deps.write(thread, 'add photos', async (t) => await t.collection(PHOTOS).create({ ...fields, addedAt }))
    })
  }

  return {
    'photo.addMedia': async ({ thread, title, task, original, preview, thumbnail, media: about }, link) => {
      const store = media()
      // The turn is taken now, as the request arrives, so the album keeps the order photos were sent in.
      let encrypted!: (doc: Record<string, unknown> | undefined) => void
      const ready = new Promise<Record<string, unknown> | undefined>((resolve) => { encrypted = resolve })
      const written = inTurn(thread, ready)
      try {
        await deps.album(thread)
        const total = original.size + preview.size + thumbnail.size
        const tell = progress(link, task, 'store', total)
        let before = 0
        const encrypt = async (blob: Blob, type: string): Promise<MediaRef> => {
          const ref = await encryptMedia(blobPieces(blob), {
            size: blob.size,
            type,
            put: async (block) => { await store.blocks.put(block) },
            signal: link.signal,
            onProgress: ({ bytes }) => { tell(before + bytes) }
          })
          before += blob.size
          return ref
        }
        // Smallest first: a member sees the thumbnail as soon as the record arrives and the first blocks with it.
        const refs = {
          thumbnail: await encrypt(thumbnail, thumbnail.type || 'image/jpeg'),
          preview: await encrypt(preview, preview.type || 'image/jpeg'),
          original: await encrypt(original, about.type)
        }
        tell(total)
        encrypted({
          title,
          media: cleanMedia(about),
          thumbnail: mediaRefValue(refs.thumbnail),
          preview: mediaRefValue(refs.preview),
          original: mediaRefValue(refs.original)
        })
        const id = await written
        if (id === undefined) throw new MediaUnavailableError('The photo was not written')
        await store.markOwn(thread, refs.original)
        return { type: 'photo.mediaAdded', photo: id }
      } finally {
        encrypted(undefined) // a photo that failed before its write frees the turn
      }
    },

    'photo.media': async ({ thread, photo, variant, task }, link) => {
      const { thread: t } = await deps.album(thread)
      const found = t.collection(PHOTOS).find({ _id: photo })[0]
      if (found === undefined) throw new PhotoNotFoundError(`There is no photo ${photo} in this album`)
      // Photos added before media carry one small image in their record: it stands for every variant.
      if (found.original === undefined && isImage(found.image, found.imageType)) {
        if (variant === 'thumbnail') thumbnailWithin((found.image as Uint8Array).byteLength)
        return { type: 'photo.mediaData', variant, blob: new Blob([found.image as Uint8Array<ArrayBuffer>], { type: found.imageType as string }) }
      }
      const ref = refOf(found, variant)
      if (variant === 'thumbnail') thumbnailWithin(ref.size)
      const store = media()
      // Just joined: the thumbnail is likely in a pack on its way; fetched alone only if no pack brings it.
      if (variant === 'thumbnail') await deps.thumbnailReady?.(thread, ref.root.toString())
      const tell = progress(link, task, 'fetch', ref.size)
      // Nobody holding a block keeps a want open until the tab goes or the time a file of this size may take is up.
      const signal = AbortSignal.any([link.signal, AbortSignal.timeout(fetchTimeoutMs(ref.size))])
      // A writer's ref may claim any size: a thumbnail or preview larger than the tab could have made is refused before anything is fetched.
      const blob = await gatherBlob(openMedia(ref, store.reader(signal), { signal, maxBytes: MAX_BYTES[variant], onProgress: ({ bytes }) => { tell(bytes) } }), ref.type)
      if (variant === 'original') {
        store.used(thread, ref).catch((error: unknown) => { log.failure(`noting the use of an original of ${thread}`, error) })
      }
      return { type: 'photo.mediaData', variant, blob }
    },

    'album.keepOriginals': async ({ thread, keep }) => {
      const store = media()
      const { thread: t } = await deps.album(thread)
      await store.setKeeps(thread, keep)
      deps.changed(thread)
      if (keep) {
        fetchOriginals(store, thread, t).catch((error: unknown) => { log.failure(`fetching the originals of ${thread} to keep them`, error) })
      }
      return { type: 'album.keptOriginals', thread, keep }
    },

    'album.ownOriginals': async ({ thread }) => {
      const store = media()
      const { thread: t } = await deps.album(thread)
      // The originals of the photos the album still has: a removed photo's is no longer the follower's to keep.
      const only = new Set<string>()
      for (const doc of t.collection(PHOTOS).find({})) {
        if (doc.original === undefined) continue
        try {
          only.add(parseMediaRef(doc.original).root.toString())
        } catch (error) {
          // A writer's malformed ref names no original this device could have added: it is not counted.
          log.failure(`reading the original of a photo of ${thread}`, error)
        }
      }
      // One read of the album's own entries: those not yet confirmed are asked about, then all are counted.
      const { own, confirmed } = await store.checkOwnOriginals(thread, { only, signal: AbortSignal.timeout(CONFIRM_TIMEOUT_MS) })
      return { type: 'album.ownOriginalsCounted', thread, own, confirmed }
    }
  }
}

/**
 * A photo's thumbnail from this device's blocks alone (nothing is fetched), for
 * the views tabs read before the node starts; undefined when it has none or
 * not all of it is held here yet (the tab then fetches it once the node runs).
 */
export async function localThumbnail (store: MediaStore | undefined, doc: Record<string, unknown> | undefined): Promise<CachedImage | undefined> {
  if (doc === undefined) return undefined
  // Photos added before media carry their one small image in the record.
  // A thumbnail past the cap is not cached for tabs: asked for, it is refused in words (photo.media).
  if (doc.original === undefined && isImage(doc.image, doc.imageType)) {
    return (doc.image as Uint8Array).byteLength > MAX_BYTES.thumbnail ? undefined : { image: doc.image as Uint8Array, imageType: doc.imageType as string }
  }
  if (store === undefined || doc.thumbnail === undefined) return undefined
  const ref = parseMediaRef(doc.thumbnail)
  if (ref.size > MAX_BYTES.thumbnail) return undefined
  try {
    const blob = await gatherBlob(openMedia(ref, async (cid) => await store.blocks.getLocal(cid), { maxBytes: MAX_BYTES.thumbnail }), ref.type)
    return { image: new Uint8Array(await blob.arrayBuffer()), imageType: ref.type }
  } catch (error) {
    if (error instanceof BlockNotFoundError) return undefined
    throw error
  }
}

/** Starts fetching the originals album `id` lacks if this device keeps them; failures are logged, and tried again on the next change. */
export function keepOriginalsOf (store: MediaStore, id: string, thread: ThreadDatabase): void {
  store.keeps(id).then(async (keep) => { if (keep) await fetchOriginals(store, id, thread) })
    .catch((error: unknown) => { log.failure(`keeping the originals of ${id}`, error) })
}

/** Albums whose originals are being fetched now, so a burst of changes starts one fetch. */
const fetching = new Map<string, Promise<void>>()

/**
 * Fetches every original of album `id` this device lacks, one at a time, while
 * the album keeps its originals; call it again when photos arrive. Originals
 * that cannot be fetched now are tried on the next call.
 */
export async function fetchOriginals (store: MediaStore, id: string, thread: ThreadDatabase): Promise<void> {
  const running = fetching.get(id)
  if (running !== undefined) return await running
  const run = (async () => {
    for (const doc of thread.collection(PHOTOS).find({})) {
      if (!await store.keeps(id)) return
      if (doc.original === undefined) continue
      const ref = parseMediaRef(doc.original)
      if (await store.holds(ref)) continue
      try {
        // Opening checks every block; the plaintext is not needed, only that the blocks are here and sound.
        for await (const chunk of openMedia(ref, store.reader(AbortSignal.timeout(fetchTimeoutMs(ref.size))))) void chunk
        await store.used(id, ref)
      } catch (error) {
        log.failure(`fetching an original of ${id} to keep it`, error)
      }
    }
  })().finally(() => { fetching.delete(id) })
  fetching.set(id, run)
  await run
}

/** The ref of a photo's `variant`, checked; a photo without it is refused in words. */
function refOf (doc: Record<string, unknown>, variant: MediaVariant): MediaRef {
  const value = doc[variant]
  if (value === undefined) throw new PhotoNotFoundError(`This photo has no ${variant}`)
  return parseMediaRef(value)
}
