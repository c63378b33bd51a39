/** Above the grid: how many photos, the order, and selecting several to download or remove. */
import { useAlbumStore } from '../state/album-store.ts'
import { useUiStore, type PhotoOrder } from '../state/ui-store.ts'
import { usePhotoRights } from './rights.ts'
import { count } from './status-words.ts'

export function AlbumToolbar () {
  const photos = useAlbumStore((s) => s.photos)
  const order = useUiStore((s) => s.order)
  const setOrder = useUiStore((s) => s.setOrder)
  const selecting = useUiStore((s) => s.selecting)
  const setSelecting = useUiStore((s) => s.setSelecting)
  return (
    <div className='toolbar' role='toolbar' aria-label='Photos'>
      <span className='muted' data-testid='photo-count'>{count(photos.length, 'photo')}</span>
      <label className='inline-label'>Sort by{' '}
        <select value={order} onChange={(e) => { setOrder(e.target.value as PhotoOrder) }}>
          <option value='added'>Date added</option>
          <option value='taken'>Date taken</option>
        </select>
      </label>
      {photos.length > 0 && <button type='button' className='button small' aria-pressed={selecting} onClick={() => { setSelecting(!selecting) }}>{selecting ? 'Cancel selection' : 'Select'}</button>}
      {selecting && <SelectionActions />}
    </div>
  )
}

function SelectionActions () {
  const selected = useUiStore((s) => s.selected)
  const setSelecting = useUiStore((s) => s.setSelecting)
  const photos = useAlbumStore((s) => s.photos)
  const remove = useAlbumStore((s) => s.removePhoto)
  const downloadOriginals = useAlbumStore((s) => s.downloadOriginals)
  const rights = usePhotoRights()
  const chosen = photos.filter((p) => selected.has(p.id))
  const removable = chosen.filter((p) => rights.edit(p.author))
  const download = async (): Promise<void> => {
    await downloadOriginals(chosen.filter((c) => c.hasImage))
  }
  const removeAll = async (): Promise<void> => {
    if (!confirm(`Remove ${count(removable.length, 'photo')} for everyone in this album?`)) return
    for (const p of removable) await remove(p.id)
    setSelecting(false)
  }
  return (
    <>
      <span role='status'>{count(chosen.length, 'photo')} selected</span>
      <button type='button' className='button small' disabled={chosen.length === 0} onClick={() => { void download() }}>Download</button>
      {removable.length > 0 && <button type='button' className='button small danger' onClick={() => { void removeAll() }}>Remove {removable.length}</button>}
    </>
  )
}
