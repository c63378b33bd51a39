/** Adding photos: many at once from the picker (or dropped, or pasted), or one with a caption typed first. */
import { useRef, useState, type FormEvent } from 'react'
import { useAlbumStore } from '../state/album-store.ts'
import { useUploadStore } from '../state/upload-store.ts'

export function AddPhotos () {
  const current = useAlbumStore((s) => s.current)
  const add = useUploadStore((s) => s.add)
  const picker = useRef<HTMLInputElement>(null)
  return (
    <section className='add-photos' aria-label='Add photos'>
      <div className='drop-zone'>
        <button type='button' className='button primary' onClick={() => { picker.current?.click() }}>Add photos</button>
        <span className='muted drop-hint'>or drop them here, or paste them</span>
        <input
          ref={picker} className='visually-hidden' type='file' accept='image/*' multiple aria-label='Photos to add' tabIndex={-1}
          onChange={(e) => {
            const files = [...(e.target.files ?? [])]
            e.target.value = '' // the same files can be picked again
            if (current !== undefined) void add(current, files)
          }}
        />
      </div>
      <CaptionedPhoto />
    </section>
  )
}

/** One photo with its caption typed first (the file is optional: a caption alone is a note in the album). */
function CaptionedPhoto () {
  const addPhoto = useAlbumStore((s) => s.addPhoto)
  const adding = useAlbumStore((s) => s.adding)
  const [title, setTitle] = useState('')
  const [file, setFile] = useState<File | undefined>(undefined)
  const [fileKey, setFileKey] = useState(0)
  const submit = (event: FormEvent): void => {
    event.preventDefault()
    // A chosen file's name stands in when no caption was typed.
    const name = title.trim() !== '' ? title.trim() : file?.name.replace(/\.[^.]*$/, '').trim() ?? ''
    if (name === '') return
    void addPhoto(name.slice(0, 500), file)
    setTitle('')
    setFile(undefined)
    setFileKey((k) => k + 1) // a fresh input: file inputs cannot be cleared otherwise
  }
  return (
    <form onSubmit={submit} className='row captioned' aria-label='Add one photo with a caption'>
      <input aria-label='Photo title' placeholder='Caption' value={title} onChange={(e) => setTitle(e.target.value)} />
      <input key={fileKey} aria-label='Photo file' type='file' accept='image/*' onChange={(e) => setFile(e.target.files?.[0])} />
      <button type='submit' className='button' disabled={adding !== undefined}>Add photo</button>
      {adding !== undefined && <p role='status' data-testid='photo-progress' className='muted'>{adding}</p>}
    </form>
  )
}
