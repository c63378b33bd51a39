/** A photo's caption, and changing it where the person may: Enter saves, Esc cancels. */
import { useState, type FormEvent, type KeyboardEvent } from 'react'
import type { PhotoView } from '../../protocol/album-messages.ts'
import { useAlbumStore } from '../state/album-store.ts'

export function CaptionEditor ({ photo, canEdit }: { photo: PhotoView, canEdit: boolean }) {
  const rename = useAlbumStore((s) => s.renamePhoto)
  const remove = useAlbumStore((s) => s.removePhoto)
  const [draft, setDraft] = useState<string | undefined>(undefined)
  const save = (event: FormEvent): void => {
    event.preventDefault()
    const title = draft?.trim() ?? ''
    if (title !== '' && title !== photo.title) void rename(photo.id, title.slice(0, 500))
    setDraft(undefined)
  }
  const escape = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape') return
    event.preventDefault()
    event.stopPropagation() // cancels the edit, not the viewer
    setDraft(undefined)
  }
  if (draft !== undefined) {
    return (
      <form onSubmit={save} className='row' aria-label='Edit caption'>
        <input aria-label='Caption' value={draft} onChange={(e) => setDraft(e.target.value)} onKeyDown={escape} autoFocus />
        <button type='submit' className='button primary small'>Save caption</button>
        <button type='button' className='button small' onClick={() => { setDraft(undefined) }}>Cancel</button>
      </form>
    )
  }
  return (
    <div className='caption-row'>
      <h2 className='caption'>{photo.title}</h2>
      {canEdit && (
        <>
          <button type='button' className='button small' onClick={() => { setDraft(photo.title) }}>Edit caption</button>
          <button type='button' className='button small danger' onClick={() => { if (confirm(`Remove "${photo.title}" for everyone in this album?`)) void remove(photo.id) }}>Remove photo</button>
        </>
      )}
    </div>
  )
}
