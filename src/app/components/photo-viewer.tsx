/**
 * A photo full screen: ← and → (or a swipe) move through the album in the
 * grid's order, Esc closes; zoom; the caption, editable where the person's
 * role allows (Enter saves, Esc cancels); who added it, when and its size;
 * downloading the original. A modal <dialog>, so focus stays inside it.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react'
import { useAlbumStore } from '../state/album-store.ts'
import { useImage } from '../state/image-store.ts'
import { useUiStore } from '../state/ui-store.ts'
import { CaptionEditor } from './caption-editor.tsx'
import { ordered } from './photo-order.ts'
import { usePhotoRights } from './rights.ts'
import { when } from './status-words.ts'

/** How far a swipe must go to turn the page, in px. */
const SWIPE = 50

export function PhotoViewer ({ photo: id }: { photo: string }) {
  const photos = useAlbumStore((s) => s.photos)
  const thread = useAlbumStore((s) => s.current)!
  const downloadOriginals = useAlbumStore((s) => s.downloadOriginals)
  const order = useUiStore((s) => s.order)
  const view = useUiStore((s) => s.view)
  const shown = useMemo(() => ordered(photos, order), [photos, order])
  const index = shown.findIndex((p) => p.id === id)
  const photo = shown[index]
  const dialog = useRef<HTMLDialogElement>(null)
  const [zoomed, setZoomed] = useState(false)
  const swipeFrom = useRef<number | undefined>(undefined)

  useEffect(() => {
    const element = dialog.current
    if (element !== null && !element.open) element.showModal()
  }, [])
  useEffect(() => { setZoomed(false) }, [id])
  // A photo removed while shown (here or elsewhere) closes the viewer.
  useEffect(() => { if (photo === undefined) view(undefined) }, [photo])
  if (photo === undefined) return null

  const go = (step: number): void => {
    const next = shown[index + step]
    if (next !== undefined) view(next.id)
  }
  const keys = (event: KeyboardEvent): void => {
    if ((event.target as HTMLElement).tagName === 'INPUT') return
    if (event.key === 'ArrowRight') { event.preventDefault(); go(1) }
    if (event.key === 'ArrowLeft') { event.preventDefault(); go(-1) }
  }
  const down = (event: PointerEvent): void => { if (!zoomed) swipeFrom.current = event.clientX }
  const up = (event: PointerEvent): void => {
    if (swipeFrom.current === undefined) return
    const dx = event.clientX - swipeFrom.current
    swipeFrom.current = undefined
    if (Math.abs(dx) > SWIPE) go(dx < 0 ? 1 : -1)
  }
  return (
    <dialog ref={dialog} className='viewer' aria-label={`Photo: ${photo.title}`} onCancel={(e) => { e.preventDefault(); view(undefined) }} onKeyDown={keys}>
      <div className='viewer-bar'>
        <button type='button' className='button small' onClick={() => { view(undefined) }}>Close</button>
        <span className='viewer-position' aria-live='polite'>{index + 1} of {shown.length}</span>
        <button type='button' className='button small' aria-pressed={zoomed} onClick={() => { setZoomed(!zoomed) }}>{zoomed ? 'Zoom out' : 'Zoom in'}</button>
        {photo.hasImage && <button type='button' className='button small' onClick={() => { void downloadOriginals([photo]) }}>Download original</button>}
      </div>
      <div className='viewer-stage' data-zoomed={zoomed} onPointerDown={down} onPointerUp={up} onDoubleClick={() => { setZoomed(!zoomed) }}>
        <button type='button' className='viewer-nav prev' aria-label='Previous photo' disabled={index === 0} onClick={() => { go(-1) }}>‹</button>
        {photo.hasImage ? <Preview thread={thread} id={photo.id} title={photo.title} /> : <p className='viewer-note'>{photo.title}</p>}
        <button type='button' className='viewer-nav next' aria-label='Next photo' disabled={index === shown.length - 1} onClick={() => { go(1) }}>›</button>
      </div>
      <Details thread={thread} id={photo.id} />
    </dialog>
  )
}

function Preview ({ thread, id, title }: { thread: string, id: string, title: string }) {
  const { url, failed } = useImage(thread, id, 'preview')
  if (failed) return <p className='viewer-note'>This photo's image is not available on this device yet.</p>
  return url === undefined ? <p className='viewer-note' role='status'>Loading…</p> : <img src={url} alt={title} className='viewer-image' draggable={false} />
}

/** The caption (editable where allowed) and who added the photo, when, and its size. */
function Details ({ thread, id }: { thread: string, id: string }) {
  const photo = useAlbumStore((s) => s.photos.find((p) => p.id === id))!
  const rights = usePhotoRights()
  const { url } = useImage(thread, id, 'preview', photo.hasImage)
  const size = useImageSize(url)
  return (
    <div className='viewer-details'>
      <CaptionEditor photo={photo} canEdit={rights.edit(photo.author)} />
      <dl className='details'>
        <dt>Added by</dt><dd>{photo.by}</dd>
        <dt>Added</dt><dd>{when(photo.addedAt)}</dd>
        {size !== undefined && <><dt>Size</dt><dd>{size}</dd></>}
      </dl>
    </div>
  )
}

/** "1600 × 1200 px, 412 KB" of a loaded image. */
function useImageSize (url: string | undefined): string | undefined {
  const [size, setSize] = useState<string | undefined>(undefined)
  useEffect(() => {
    setSize(undefined)
    if (url === undefined) return
    let live = true
    void Promise.all([fetch(url).then(async (r) => await r.blob()), new Promise<HTMLImageElement>((resolve, reject) => {
      const img = new Image()
      img.onload = () => { resolve(img) }
      img.onerror = reject
      img.src = url
    })]).then(([blob, img]) => {
      if (live) setSize(`${img.naturalWidth} × ${img.naturalHeight} px, ${Math.ceil(blob.size / 1024).toLocaleString()} KB`)
    }, () => { if (live) setSize(undefined) })
    return () => { live = false }
  }, [url])
  return size
}
