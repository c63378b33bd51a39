/** One photo in the grid: its thumbnail (opening the viewer), caption, who added it, and its checkbox while selecting. */
import { memo } from 'react'
import type { PhotoView } from '../../protocol/album-messages.ts'
import { useImage } from '../state/image-store.ts'
import { useUiStore } from '../state/ui-store.ts'

export const PhotoTile = memo(function PhotoTile ({ photo, thread, side, position, total }: { photo: PhotoView, thread: string, side: number, position: number, total: number }) {
  const view = useUiStore((s) => s.view)
  const selecting = useUiStore((s) => s.selecting)
  const selected = useUiStore((s) => s.selected.has(photo.id))
  const toggle = useUiStore((s) => s.toggle)
  return (
    <div role='listitem' aria-posinset={position} aria-setsize={total} className='tile' data-selected={selected}>
      <div className='tile-image' style={{ height: side }}>
        {photo.hasImage ? <Thumbnail thread={thread} photo={photo} /> : <span className='tile-note' aria-hidden='true'>{photo.title}</span>}
        {selecting
          ? <label className='tile-cover'><input type='checkbox' className='tile-check' checked={selected} onChange={() => { toggle(photo.id) }} aria-label={`Select ${photo.title}`} /></label>
          : <button type='button' className='tile-cover' aria-label={`Open ${photo.title}`} onClick={() => { view(photo.id) }} />}
      </div>
      <span className='tile-title'>{photo.title}</span>
      <span className='tile-by'>by {photo.by}</span>
    </div>
  )
})

function Thumbnail ({ thread, photo }: { thread: string, photo: PhotoView }) {
  const { url, failed } = useImage(thread, photo.id, 'thumbnail')
  if (failed) return <span className='tile-note'>Image not available</span>
  return url === undefined
    ? <span className='placeholder' role='img' aria-label={`Loading ${photo.title}`} />
    : <img src={url} alt={photo.title} decoding='async' />
}
