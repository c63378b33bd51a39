/**
 * The album UI's state: a zustand cache of what the background node reports.
 * It holds nothing authoritative; it subscribes to the current album, and the
 * node pushes the album's state whenever it changes (`album.changed`). Errors
 * are shown in words.
 */
import { create } from 'zustand'
import type { AlbumSnapshot, PhotoView, SyncView } from '../../protocol/album-messages.ts'
import type { AccessView, GrantableRole, MemberView } from '../../protocol/member-messages.ts'
import type { NodeEvent, WireError } from '../../protocol/messages.ts'
import { NodeNotReadyError, toWireError } from '../../protocol/errors.ts'
import { addPhotos, persistStorage, photoImage } from '../client/media.ts'
import { requestOutboxFlush } from '../client/service-worker.ts'
import { useNodeStore } from './node-store.ts'

/** What the album view shows. */
export interface AlbumState {
  readonly albums: ReadonlyArray<{ readonly id: string, readonly name: string }>
  readonly current: string | undefined
  readonly name: string
  readonly photos: readonly PhotoView[]
  readonly sync: SyncView | undefined
  readonly members: readonly MemberView[]
  readonly access: AccessView | undefined
  /** The newest invite link made here, and the role it grants. */
  readonly invite: { readonly link: string, readonly role: GrantableRole } | undefined
  /** The name this person uses in every album, once known. */
  readonly profileName: string | undefined
  readonly error: WireError | undefined
  /** What adding a photo is doing right now, in words, while it takes a moment. */
  readonly adding: string | undefined
  /** Whether this device keeps every original of the album shown. */
  readonly keepOriginals: boolean
  /** Object URLs of photos' images, by photo id, once loaded. */
  readonly images: Readonly<Record<string, string>>
  refreshAlbums(): Promise<void>
  open(id: string): void
  create(name: string): Promise<void>
  join(link: string): Promise<void>
  /** Adds a photo; with files, each is added as a photo (its original, a preview and a thumbnail), refused ones said in words. */
  addPhoto(title: string, files?: readonly File[]): Promise<void>
  renamePhoto(photo: string, title: string): Promise<void>
  removePhoto(photo: string): Promise<void>
  /** Loads a photo's thumbnail into {@link images} (once). */
  loadImage(photo: string): Promise<void>
  /** Makes an invite link granting `role`; optionally expiring in `expiresInMs` and good for one use. */
  makeInvite(options: { role: GrantableRole, expiresInMs?: number, singleUse?: boolean }): Promise<void>
  setRole(member: string, role: GrantableRole): Promise<void>
  removeMember(member: string): Promise<void>
  /** Leaves the current album (it stays here, read-only). */
  leave(): Promise<void>
  /** Deletes the current album: for everyone when this person owns it, otherwise for this person (leaving it). */
  deleteAlbum(): Promise<void>
  loadProfile(): Promise<void>
  setName(name: string): Promise<void>
}

const rpc = () => {
  const client = useNodeStore.getState().client
  if (client === undefined) throw new NodeNotReadyError('The background node is not ready yet')
  return client.rpc
}

let watching = 0
/** The newest revision shown of the current album: reports that cross on the way never go back in time. */
let shownRevision = -1
/** Stops hearing the node's events for the album shown before. */
let stopHearing: (() => void) | undefined
/** Photos whose image is loaded or on its way, so each is asked for once. */
const loadingImages = new Set<string>()

export const useAlbumStore = create<AlbumState>()((set, get) => {
  const fail = (error: unknown): void => { set({ error: toWireError(error) }) }
  /** Runs a request about the album shown, if any; its failure is shown in words, its success clears the last error. */
  const onCurrent = async (request: (thread: string) => Promise<unknown>): Promise<void> => {
    const current = get().current
    if (current === undefined) return
    try {
      await request(current)
      set({ error: undefined })
    } catch (error) { fail(error) }
  }

  const show = (snapshot: AlbumSnapshot): void => {
    if (snapshot.thread !== get().current || snapshot.revision <= shownRevision) return
    shownRevision = snapshot.revision
    set({ name: snapshot.name, photos: snapshot.photos, sync: snapshot.sync, members: snapshot.members, access: snapshot.access, keepOriginals: snapshot.keepOriginals === true })
    // Records wait for a follower out of reach: let the service worker send them even if every tab closes first.
    if (snapshot.sync.state === 'offline' && snapshot.sync.pending > 0) requestOutboxFlush()
  }

  const hear = (event: NodeEvent): void => {
    if (event.type === 'album.changed') show(event)
    else if (event.type === 'album.failed' && event.thread === get().current) fail(event.error)
  }

  /** Subscribes to album `id`, trying again every 2 s until the node accepts; the node then pushes its changes. */
  async function watch (id: string, token: number): Promise<void> {
    while (token === watching) {
      try {
        const client = rpc()
        stopHearing?.()
        stopHearing = client.onEvent(hear)
        const snapshot = await client.request({ type: 'album.subscribe', thread: id }, { timeoutMs: 30_000 })
        if (token === watching) show(snapshot)
        return
      } catch (error) {
        if (token !== watching) return
        fail(error)
        await new Promise((resolve) => setTimeout(resolve, 2000))
      }
    }
  }

  return {
    albums: [],
    current: undefined,
    name: '',
    photos: [],
    sync: undefined,
    members: [],
    access: undefined,
    invite: undefined,
    profileName: undefined,
    error: undefined,
    adding: undefined,
    keepOriginals: false,
    images: {},
    async refreshAlbums () {
      try {
        const { albums } = await rpc().request({ type: 'album.list' })
        set({ albums })
        if (get().current === undefined && albums[0] !== undefined) get().open(albums[0].id)
      } catch (error) { fail(error) }
    },
    open (id) {
      const token = ++watching
      shownRevision = -1
      set({ current: id, photos: [], members: [], access: undefined, invite: undefined, error: undefined })
      void watch(id, token)
    },
    async create (name) {
      try {
        const { thread } = await rpc().request({ type: 'album.create', name })
        await get().refreshAlbums()
        get().open(thread)
      } catch (error) { fail(error) }
    },
    async join (link) {
      try {
        const { thread } = await rpc().request({ type: 'album.join', link }, { timeoutMs: 30_000 })
        await get().refreshAlbums()
        get().open(thread)
      } catch (error) { fail(error) }
    },
    async addPhoto (title, files) {
      const current = get().current
      if (current === undefined) return
      try {
        if (files === undefined || files.length === 0) {
          await rpc().request({ type: 'photo.add', thread: current, title }, { timeoutMs: 30_000 })
          set({ error: undefined })
          return
        }
        // Photos are kept here until a follower holds them: ask the browser not to clear this site's storage under pressure.
        persistStorage().catch((error: unknown) => { fail(error) })
        const { refused } = await addPhotos(current, files, (p) => {
          const share = p.total === 0 ? '' : ` ${Math.floor(100 * p.done / p.total)}%`
          set({ adding: `${p.stage === 'preparing' ? 'Preparing' : 'Saving'} ${p.files > 1 ? `${p.file + 1} of ${p.files}: ` : ''}${p.name}${p.stage === 'storing' ? share : ''}…` })
        }, { title })
        set({ error: refused.length === 0 ? undefined : { name: 'PhotoImageError', message: refused.map((r) => r.error.message).join(' · ') } })
      } catch (error) { fail(error) } finally { set({ adding: undefined }) }
    },
    renamePhoto: async (photo, title) => { await onCurrent(async (current) => { await rpc().request({ type: 'photo.rename', thread: current, photo, title }) }) },
    removePhoto: async (photo) => { await onCurrent(async (current) => { await rpc().request({ type: 'photo.remove', thread: current, photo }) }) },
    async loadImage (photo) {
      const current = get().current
      if (current === undefined || loadingImages.has(photo)) return
      loadingImages.add(photo)
      try {
        const url = await photoImage(current, photo, 'thumbnail')
        set({ images: { ...get().images, [photo]: url } })
      } catch (error) {
        loadingImages.delete(photo)
        fail(error)
      }
    },
    async makeInvite ({ role, expiresInMs, singleUse }) {
      const current = get().current
      if (current === undefined) return
      try {
        const { link } = await rpc().request({
          type: 'album.invite',
          thread: current,
          base: location.origin + location.pathname,
          role,
          ...(expiresInMs === undefined ? {} : { expires: Date.now() + expiresInMs }),
          ...(singleUse === true ? { uses: 1 as const } : {})
        }, { timeoutMs: 30_000 })
        set({ invite: { link, role }, error: undefined })
      } catch (error) { fail(error) }
    },
    setRole: async (member, role) => { await onCurrent(async (current) => { await rpc().request({ type: 'member.setRole', thread: current, member, role }) }) },
    removeMember: async (member) => { await onCurrent(async (current) => { await rpc().request({ type: 'member.remove', thread: current, member }) }) },
    leave: async () => { await onCurrent(async (current) => { await rpc().request({ type: 'album.leave', thread: current }, { timeoutMs: 30_000 }) }) },
    async deleteAlbum () {
      const current = get().current
      if (current === undefined) return
      try {
        await rpc().request({ type: 'album.delete', thread: current }, { timeoutMs: 60_000 })
        ++watching // stop following the album that is gone
        stopHearing?.()
        set({ current: undefined, albums: get().albums.filter((a) => a.id !== current), photos: [], members: [], access: undefined, invite: undefined, error: undefined })
        await get().refreshAlbums()
      } catch (error) { fail(error) }
    },
    async loadProfile () {
      try {
        const { name } = await rpc().request({ type: 'profile.get' })
        set({ profileName: name ?? undefined })
      } catch (error) { fail(error) }
    },
    async setName (name) {
      try {
        await rpc().request({ type: 'profile.setName', name }, { timeoutMs: 30_000 })
        set({ profileName: name, error: undefined })
      } catch (error) { fail(error) }
    }
  }
})
