/**
 * The shared album: pick or create an album, add photos, see who is in it and
 * sync. What a person's role does not allow is not offered (the node refuses
 * it anyway); someone without access any more is told so in words, and keeps
 * seeing what they had.
 */
import { useEffect, useState, type FormEvent } from 'react'
import type { PhotoView, SyncView } from '../../protocol/album-messages.ts'
import { MEMBER_ROLES, type AccessView, type MemberRole } from '../../protocol/member-messages.ts'
import { useAlbumStore } from '../state/album-store.ts'
import { useNodeStore } from '../state/node-store.ts'
import { FollowersPanel } from './followers-panel.tsx'
import { MembersPanel } from './members-panel.tsx'
import { MediaStorage } from './media-storage.tsx'
import { PhotoMediaActions } from './photo-media-actions.tsx'
import { ProfileName } from './profile-name.tsx'

const atLeast = (role: MemberRole, wanted: MemberRole): boolean => MEMBER_ROLES.indexOf(role) >= MEMBER_ROLES.indexOf(wanted)

/** What this person may do with photos here, as their role says. */
interface PhotoRights {
  readonly add: boolean
  /** Whether they may rename or remove a photo added by `author` (their own as a contributor; anyone's as an editor or admin). */
  readonly edit: (author: string) => boolean
}

function photoRights (access: AccessView | undefined, self: string | undefined): PhotoRights {
  const role = access?.state === 'member' ? access.role : 'none'
  return {
    add: atLeast(role, 'write'),
    edit: (author) => atLeast(role, 'delete') || (atLeast(role, 'write') && author === self)
  }
}

const ACCESS_WORDS: { readonly [S in AccessView['state']]?: string } = {
  joining: 'Joining: waiting for the album to arrive from the follower…',
  removed: 'You no longer have access to this album: you were removed. What you had stays here, read-only; nothing added from now on reaches you.',
  left: 'You left this album. What you had stays here, read-only; nothing added from now on reaches you.',
  deleted: 'The owner deleted this album, so you no longer have access to it. What you had stays here, read-only.'
}

const SYNC_WORDS = {
  idle: 'Getting ready to sync',
  syncing: 'Syncing…',
  synced: 'Synced with the follower',
  offline: 'Follower out of reach: new photos are kept here and sent to it when it is back',
  'no-follower': 'No follower: photos stay on this device'
} as const

/** "Synced with the follower", or with how many of several. */
const stateWords = (sync: SyncView): string => sync.state === 'synced' && sync.followers !== undefined && sync.followers.total > 1
  ? `Synced with ${sync.followers.synced} of ${sync.followers.total} followers`
  : SYNC_WORDS[sync.state]

const progressWords = (progress: SyncView['progress']): string => progress === undefined || progress.total === 0
  ? ''
  : ` ${progress.phase === 'pull' ? 'received' : 'sent'} ${progress.done.toLocaleString()} of ${progress.total.toLocaleString()}`

const sinceWords = (since: number | undefined): string => since === undefined ? '' : ` since ${new Date(since).toLocaleTimeString()}`

export function AlbumView () {
  const ready = useNodeStore((s) => s.status.state === 'ready')
  const store = useAlbumStore()
  const [title, setTitle] = useState('')
  const [files, setFiles] = useState<File[]>([])
  const [fileKey, setFileKey] = useState(0)
  const [albumName, setAlbumName] = useState('')

  useEffect(() => {
    if (!ready) return
    const link = location.hash.includes('invite=') ? location.href : undefined
    if (link !== undefined) {
      history.replaceState(null, '', location.pathname) // the keys leave the address bar
      void store.join(link)
    } else void store.refreshAlbums()
  }, [ready])

  if (!ready) return null
  const self = store.members.find((m) => m.you)?.log
  const rights = photoRights(store.access, self)
  const accessWords = store.access === undefined ? undefined : ACCESS_WORDS[store.access.state]
  const submitPhoto = (event: FormEvent): void => {
    event.preventDefault()
    // A photo needs a title; each chosen file's name stands in when none was typed.
    if (title.trim() === '' && files.length === 0) return
    void store.addPhoto(title.trim().slice(0, 500), files)
    setTitle('')
    setFiles([])
    setFileKey((k) => k + 1) // a fresh input: file inputs cannot be cleared otherwise
  }
  const submitAlbum = (event: FormEvent): void => {
    event.preventDefault()
    void store.create(albumName.trim() === '' ? 'Shared album' : albumName.trim())
    setAlbumName('')
  }

  return (
    <section className='panel' aria-label='Album'>
      <ProfileName />
      <form onSubmit={submitAlbum} className='row'>
        <input aria-label='New album name' placeholder='New album name' value={albumName} onChange={(e) => setAlbumName(e.target.value)} />
        <button type='submit'>Create album</button>
      </form>
      {store.albums.length > 1 && (
        <nav className='row' aria-label='Albums'>
          {store.albums.map((a) => <button key={a.id} type='button' aria-pressed={a.id === store.current} onClick={() => store.open(a.id)}>{a.name}</button>)}
        </nav>
      )}
      {store.error !== undefined && <p role='alert' className='error'>{store.error.message}</p>}
      {store.current !== undefined && (
        <>
          <h2 data-testid='album-name'>{store.name}</h2>
          {store.sync !== undefined && (
            <p data-testid='sync-status' data-state={store.sync.state} data-pending={store.sync.pending} data-direct={store.sync.direct} data-direct-since={store.sync.directSince} className='muted'>
              {stateWords(store.sync)}{progressWords(store.sync.progress)}{store.sync.pending > 0 ? ` · ${store.sync.pending} waiting to send` : ''}
              {store.sync.direct > 0 ? ` · connected directly to ${store.sync.direct === 1 ? '1 person' : `${store.sync.direct} people`}${sinceWords(store.sync.directSince)}` : ''}
            </p>
          )}
          {accessWords !== undefined && <p data-testid='access' data-state={store.access?.state} role='status' className='notice'>{accessWords}</p>}
          {store.access?.state === 'member' && !rights.add && <p className='muted' data-testid='viewer-note'>You can look at this album; adding photos needs a contributor's invite.</p>}
          {rights.add && (
            <form onSubmit={submitPhoto} className='row'>
              <input aria-label='Photo title' placeholder='Photo title' value={title} onChange={(e) => setTitle(e.target.value)} />
              <input key={fileKey} aria-label='Photo file' type='file' accept='image/*,.heic,.heif' multiple onChange={(e) => setFiles([...e.target.files ?? []])} />
              <button type='submit' disabled={store.adding !== undefined}>Add photo</button>
            </form>
          )}
          {store.adding !== undefined && <p role='status' data-testid='photo-progress' className='muted'>{store.adding}</p>}
          <MediaStorage thread={store.current} />
          <ul className='photos' aria-label='Photos'>
            {store.photos.map((p) => <PhotoItem key={p.id} photo={p} canEdit={rights.edit(p.author)} />)}
          </ul>
          <MembersPanel />
          <FollowersPanel />
        </>
      )}
    </section>
  )
}

/** A photo's image, asked of the node when first shown. */
function PhotoImage ({ id, title }: { id: string, title: string }) {
  const url = useAlbumStore((s) => s.images[id])
  const load = useAlbumStore((s) => s.loadImage)
  useEffect(() => { if (url === undefined) void load(id) }, [id, url])
  return url === undefined
    ? <span className='photo-placeholder' aria-label={`Loading ${title}`} />
    : <img className='photo' src={url} alt={title} />
}

/** One photo: its image, title and author, and renaming or removing it where allowed (offline too: edits sync later). */
function PhotoItem ({ photo, canEdit }: { photo: PhotoView, canEdit: boolean }) {
  const thread = useAlbumStore((s) => s.current)
  const rename = useAlbumStore((s) => s.renamePhoto)
  const remove = useAlbumStore((s) => s.removePhoto)
  const [editing, setEditing] = useState<string | undefined>(undefined)
  const save = (event: FormEvent): void => {
    event.preventDefault()
    const title = editing?.trim() ?? ''
    if (title !== '' && title !== photo.title) void rename(photo.id, title.slice(0, 500))
    setEditing(undefined)
  }
  return (
    <li>
      {photo.hasImage && <PhotoImage id={photo.id} title={photo.title} />}
      {editing === undefined
        ? (
          <>
            <strong>{photo.title}</strong> <span className='muted'>by {photo.by}</span>
            {photo.hasImage && thread !== undefined && <PhotoMediaActions thread={thread} photo={photo} />}
            {canEdit && (
              <>
                {' '}<button type='button' className='link-button' aria-label={`Rename ${photo.title}`} onClick={() => setEditing(photo.title)}>Rename</button>{' '}
                <button type='button' className='link-button' aria-label={`Remove ${photo.title}`} onClick={() => { if (confirm(`Remove "${photo.title}" for everyone in this album?`)) void remove(photo.id) }}>Remove</button>
              </>
            )}
          </>
          )
        : (
          <form onSubmit={save} className='row'>
            <input aria-label={`New title for ${photo.title}`} value={editing} onChange={(e) => setEditing(e.target.value)} autoFocus />
            <button type='submit'>Save</button>
            <button type='button' onClick={() => setEditing(undefined)}>Cancel</button>
          </form>
          )}
    </li>
  )
}
