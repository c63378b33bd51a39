/** The shared album: pick or create an album, add photos, invite people, see sync. */
import { useEffect, useState, type FormEvent } from 'react'
import type { PhotoView, SyncView } from '../../protocol/album-messages.ts'
import { useAlbumStore } from '../state/album-store.ts'
import { useNodeStore } from '../state/node-store.ts'

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
  const [file, setFile] = useState<File | undefined>(undefined)
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
  const submitPhoto = (event: FormEvent): void => {
    event.preventDefault()
    // A photo needs a title; a chosen file's name stands in when none was typed.
    const name = title.trim() !== '' ? title.trim() : file?.name.replace(/\.[^.]*$/, '').trim() ?? ''
    if (name === '') return
    void store.addPhoto(name.slice(0, 500), file)
    setTitle('')
    setFile(undefined)
    setFileKey((k) => k + 1) // a fresh input: file inputs cannot be cleared otherwise
  }
  const submitAlbum = (event: FormEvent): void => {
    event.preventDefault()
    void store.create(albumName.trim() === '' ? 'Shared album' : albumName.trim())
    setAlbumName('')
  }

  return (
    <section className='panel' aria-label='Album'>
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
          <form onSubmit={submitPhoto} className='row'>
            <input aria-label='Photo title' placeholder='Photo title' value={title} onChange={(e) => setTitle(e.target.value)} />
            <input key={fileKey} aria-label='Photo file' type='file' accept='image/*' onChange={(e) => setFile(e.target.files?.[0])} />
            <button type='submit' disabled={store.adding !== undefined}>Add photo</button>
          </form>
          {store.adding !== undefined && <p role='status' data-testid='photo-progress' className='muted'>{store.adding}</p>}
          <ul className='photos' aria-label='Photos'>
            {store.photos.map((p) => <PhotoItem key={p.id} photo={p} />)}
          </ul>
          <div className='row'>
            <button type='button' onClick={() => { void store.makeInvite() }}>Invite someone</button>
          </div>
          {store.invite !== undefined && (
            <p className='invite'>Share this link (the keys are only in the part after #): <input aria-label='Invite link' readOnly value={store.invite} /></p>
          )}
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

/** One photo: its image, title and author, and renaming or removing it (offline too: edits sync later). */
function PhotoItem ({ photo }: { photo: PhotoView }) {
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
            <strong>{photo.title}</strong> <span className='muted'>by {photo.by}</span>{' '}
            <button type='button' className='link-button' aria-label={`Rename ${photo.title}`} onClick={() => setEditing(photo.title)}>Rename</button>{' '}
            <button type='button' className='link-button' aria-label={`Remove ${photo.title}`} onClick={() => { if (confirm(`Remove "${photo.title}" for everyone in this album?`)) void remove(photo.id) }}>Remove</button>
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
