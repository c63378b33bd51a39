/**
 * A photo's media actions: open its display-size preview (fetched when asked,
 * freed when closed) and save its original file, each with its progress and
 * failure in words.
 */
import { useEffect, useState } from 'react'
import type { PhotoView } from '../../protocol/album-messages.ts'
import { toWireError } from '../../protocol/errors.ts'
import { downloadOriginal, photoImage, releasePhotoImage, type MediaProgress } from '../client/media.ts'

const share = (p: MediaProgress | undefined): string => p === undefined || p.total === 0 ? '' : ` ${Math.floor(100 * p.done / p.total)}%`

/** The original's file name: the title, with the ending its type has. */
const fileNameOf = (photo: PhotoView): string => {
  const ending = photo.media?.type.split('/')[1]?.replace('jpeg', 'jpg') ?? 'jpg'
  return `${photo.title.replace(/[\\/:*?"<>|]/g, '_')}.${ending}`
}

export function PhotoMediaActions ({ thread, photo }: { thread: string, photo: PhotoView }) {
  const [open, setOpen] = useState(false)
  const [preview, setPreview] = useState<string | undefined>(undefined)
  const [fetching, setFetching] = useState<MediaProgress | undefined>(undefined)
  const [saving, setSaving] = useState<MediaProgress | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)

  useEffect(() => {
    if (!open) return
    let shown = true
    setFetching({ done: 0, total: 0 })
    photoImage(thread, photo.id, 'preview', (p) => { if (shown) setFetching(p) }).then(
      (url) => { if (shown) { setPreview(url); setFetching(undefined) } },
      (failure: unknown) => { if (shown) { setError(toWireError(failure).message); setFetching(undefined) } })
    return () => {
      shown = false
      setPreview(undefined)
      releasePhotoImage(thread, photo.id, 'preview')
    }
  }, [open, thread, photo.id])

  const save = (): void => {
    setError(undefined)
    setSaving({ done: 0, total: photo.media?.size ?? 0 })
    downloadOriginal(thread, photo.id, fileNameOf(photo), setSaving).then(
      () => { setSaving(undefined) },
      (failure: unknown) => { setSaving(undefined); setError(toWireError(failure).message) })
  }

  return (
    <span className='photo-media'>
      {' '}<button type='button' className='link-button' aria-expanded={open} aria-label={`${open ? 'Close' : 'Open'} ${photo.title}`} onClick={() => setOpen(!open)}>{open ? 'Close' : 'Open'}</button>
      {photo.media !== undefined && (
        <>
          {' '}<button type='button' className='link-button' disabled={saving !== undefined} aria-label={`Download original of ${photo.title}`} onClick={save}>Download original</button>
          {saving !== undefined && <span role='status' className='muted'> Downloading{share(saving)}…</span>}
        </>
      )}
      {fetching !== undefined && <span role='status' className='muted'> Opening{share(fetching)}…</span>}
      {error !== undefined && <span role='alert' className='error'> {error}</span>}
      {open && preview !== undefined && <img className='photo-preview' src={preview} alt={`${photo.title} (preview)`} />}
    </span>
  )
}
