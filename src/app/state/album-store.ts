/**
 * The album UI's state: a zustand cache of what the background node reports.
 * It holds nothing authoritative; it subscribes to the current album, and the
 * node pushes the album's state whenever it changes (`album.changed`). Errors
 * are shown in words.
 */
import { create } from 'zustand'
import type { AlbumSnapshot, AlbumSummary, PhotoView, SyncView } from '../../protocol/album-messages.ts'
import type { AccessView, GrantableRole, MemberView } from '../../protocol/member-messages.ts'
import type { NodeEvent, WireError } from '../../protocol/messages.ts'
import { toWireError } from '../../protocol/errors.ts'
import { LAST_ALBUM, type CachedViews } from '../client/cached-views.ts'
import { nodeRpc } from '../client/current-node.ts'
import { persistStorage } from '../client/media.ts'
import { addPhotos, downloadOriginal } from '../client/photos.ts'
import { requestOutboxFlush } from '../client/service-worker.ts'
import { concurrentLosses, type OwnEdit } from './edit-outcomes.ts'
import { useHistoryStore } from './history-store.ts'
import { useImageStore } from './image-store.ts'
import { keepUnchanged } from './same-photos.ts'
import { useUiStore } from './ui-store.ts'

/** This person's latest change here, which they may undo. */
export type OwnChange =
  | { readonly kind: 'added', readonly photos: readonly string[] }
  | { readonly kind: 'renamed', readonly photo: string, readonly from: string, readonly to: string }

export { LAST_ALBUM }

/** What the album view shows. */
export interface AlbumState {
  readonly albums: readonly AlbumSummary[]
  readonly current: string | undefined
  readonly name: string
  readonly photos: readonly PhotoView[]
  readonly sync: SyncView | undefined
  readonly members: readonly MemberView[]
  readonly access: AccessView | undefined
  /** Whether this device keeps every original of the album shown. */
  readonly keepOriginals: boolean
  /** The newest invite link made here, and the role it grants. */
  readonly invite: { readonly link: string, readonly role: GrantableRole } | undefined
  /** The name this person uses in every album, once known. */
  readonly profileName: string | undefined
  readonly error: WireError | undefined
  /** What adding a photo is doing right now, in words, while it takes a moment. */
  readonly adding: string | undefined
  /** This person's latest change, while it can be undone. */
  readonly lastChange: OwnChange | undefined
  /** Said when a concurrent edit made elsewhere won over this person's. */
  readonly notice: string | undefined
  refreshAlbums(): Promise<void>
  open(id: string): void
  create(name: string): Promise<void>
  join(link: string): Promise<void>
  /** Adds a photo; with a file, its image is scaled down and stored with it. */
  addPhoto(title: string, file?: File): Promise<void>
  renamePhoto(photo: string, title: string): Promise<void>
  removePhoto(photo: string): Promise<void>
  /** Saves the originals of `photos` to the person's downloads, one after another; a failure is shown in words. */
  downloadOriginals(photos: ReadonlyArray<{ readonly id: string, readonly title: string }>): Promise<void>
  /** Shows what the node last wrote for tabs (read before it starts); the node's own reports replace it. */
  showCached(views: CachedViews): void
  /** Records photos this person just added, so the addition can be undone. */
  noteAdded(photos: readonly string[]): void
  /** Undoes {@link lastChange}: removes the photos added, or gives a caption back. */
  undo(): Promise<void>
  dismissNotice(): void
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

const rpc = nodeRpc

let watching = 0
/** The album the node was asked to report (not merely shown from the tabs' views). */
let subscribed: string | undefined
/** The newest revision shown of the current album: reports that cross on the way never go back in time. */
let shownRevision = -1
/** Stops hearing the node's events for the album shown before. */
let stopHearing: (() => void) | undefined
/** Captions this person set lately, watched so a concurrent edit that wins is told. */
let ownEdits: OwnEdit[] = []

/** The cover of an album: its newest photo with an image. */
const coverOf = (photos: readonly PhotoView[]): { cover?: string } => {
  const cover = photos.find((p) => p.hasImage)?.id
  return cover === undefined ? {} : { cover }
}

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
    useHistoryStore.getState().changed(snapshot.thread)
    const { lost, watching } = concurrentLosses(ownEdits, snapshot.photos, Date.now())
    ownEdits = watching
    const notice = lost[0] === undefined ? get().notice : `Your caption “${lost[0].title}” was replaced by “${lost[0].now}”, an edit made elsewhere at the same time. Both were kept in the album's history; the other one won.`
    set({ name: snapshot.name, photos: keepUnchanged(get().photos, snapshot.photos), sync: snapshot.sync, members: snapshot.members, access: snapshot.access, keepOriginals: snapshot.keepOriginals === true, notice })
    set({ albums: get().albums.map((a) => a.id === snapshot.thread ? { ...a, name: snapshot.name, photos: snapshot.photos.length, ...coverOf(snapshot.photos) } : a) })
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
    keepOriginals: false,
    invite: undefined,
    profileName: undefined,
    error: undefined,
    adding: undefined,
    lastChange: undefined,
    notice: undefined,
    async refreshAlbums () {
      try {
        const { albums } = await rpc().request({ type: 'album.list' }, { timeoutMs: 30_000 })
        set({ albums })
        // A reload opens the album shown last, as it was left.
        // (or the one shown from the tabs' views, which the node is now asked to report).
        const wanted = subscribed === undefined ? get().current ?? localStorage.getItem(LAST_ALBUM) : undefined
        if (wanted !== undefined && wanted !== null && albums.some((a) => a.id === wanted)) get().open(wanted)
      } catch (error) { fail(error) }
    },
    open (id) {
      useUiStore.getState().showAlbum()
      localStorage.setItem(LAST_ALBUM, id)
      if (id === get().current && id === subscribed) return
      subscribed = id
      const token = ++watching
      shownRevision = -1
      ownEdits = []
      // An album shown from the tabs' views stays on screen until the node's first report replaces it.
      if (id !== get().current) set({ current: id, name: get().albums.find((a) => a.id === id)?.name ?? '', photos: [], members: [], sync: undefined, access: undefined, invite: undefined, error: undefined, lastChange: undefined, notice: undefined })
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
    async addPhoto (title, file) {
      const current = get().current
      if (current === undefined) return
      try {
        if (file === undefined) {
          const { photo } = await rpc().request({ type: 'photo.add', thread: current, title }, { timeoutMs: 30_000 })
          set({ error: undefined, lastChange: { kind: 'added', photos: [photo] } })
          return
        }
        // Photos are kept here until a follower holds them: ask the browser not to clear this site's storage under pressure.
        persistStorage().catch((error: unknown) => { fail(error) })
        set({ adding: 'Preparing the photo…' })
        let refused: string | undefined
        const added = await addPhotos(current, [file], ({ file: p }) => {
          if (p.state === 'saving') set({ adding: `Saving the photo (${Math.ceil(file.size / 1024)} KiB)…` })
          if (p.state === 'refused') refused = p.error.message
        }, { title })
        if (refused !== undefined) set({ error: { name: 'PhotoImageError', message: refused } })
        else set({ error: undefined, lastChange: { kind: 'added', photos: added } })
      } catch (error) { fail(error) } finally { set({ adding: undefined }) }
    },
    async renamePhoto (photo, title) {
      const from = get().photos.find((p) => p.id === photo)?.title
      await onCurrent(async (current) => { await rpc().request({ type: 'photo.rename', thread: current, photo, title }) })
      if (from === undefined || get().error !== undefined) return
      ownEdits = [...ownEdits.filter((e) => e.photo !== photo), { photo, title, from, at: Date.now() }]
      set({ lastChange: { kind: 'renamed', photo, from, to: title } })
    },
    async downloadOriginals (photos) {
      const current = get().current
      if (current === undefined) return
      try {
        for (const p of photos) await downloadOriginal(current, p.id, p.title)
      } catch (error) { fail(error) }
    },
    async removePhoto (photo) {
      await onCurrent(async (current) => { await rpc().request({ type: 'photo.remove', thread: current, photo }) })
      const change = get().lastChange
      if (change?.kind === 'added' && change.photos.includes(photo)) set({ lastChange: undefined })
    },
    showCached ({ albums, album }) {
      // The node may have answered first: what it says is newer.
      if (get().albums.length === 0) set({ albums })
      if (album === undefined || get().current !== undefined) return
      useImageStore.getState().seed(album.view.thread, album.images)
      useUiStore.getState().showAlbum()
      const { view } = album
      set({ current: view.thread, name: view.name, photos: view.photos, members: view.members, access: view.access })
    },
    noteAdded (photos) { if (photos.length > 0) set({ lastChange: { kind: 'added', photos } }) },
    async undo () {
      const change = get().lastChange
      if (change === undefined) return
      set({ lastChange: undefined })
      if (change.kind === 'renamed') {
        await onCurrent(async (current) => { await rpc().request({ type: 'photo.rename', thread: current, photo: change.photo, title: change.from }) })
        return
      }
      const present = new Set(get().photos.map((p) => p.id))
      for (const photo of change.photos.filter((p) => present.has(p))) {
        await onCurrent(async (current) => { await rpc().request({ type: 'photo.remove', thread: current, photo }) })
      }
    },
    dismissNotice () { set({ notice: undefined }) },
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
        subscribed = undefined
        stopHearing?.()
        set({ current: undefined, albums: get().albums.filter((a) => a.id !== current), photos: [], members: [], access: undefined, invite: undefined, error: undefined, lastChange: undefined })
        localStorage.removeItem(LAST_ALBUM)
        useUiStore.getState().showHome()
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
