/** One album on the home screen: its cover, name and how many photos it holds. */
import type { AlbumSummary } from '../../protocol/album-messages.ts'
import { useAlbumStore } from '../state/album-store.ts'
import { useImage } from '../state/image-store.ts'
import { count, syncWords } from './status-words.ts'

export function AlbumCard ({ album }: { album: AlbumSummary }) {
  const open = useAlbumStore((s) => s.open)
  // The album followed now is the one whose sync the node reports.
  const sync = useAlbumStore((s) => s.current === album.id ? s.sync : undefined)
  const { url } = useImage(album.id, album.cover ?? '', 'thumbnail', album.cover !== undefined)
  return (
    <li className='album-card'>
      <button type='button' className='album-card-button' onClick={() => { open(album.id) }}>
        <span className='album-cover' aria-hidden='true'>{url !== undefined && <img src={url} alt='' />}</span>
        <span className='album-card-name'>{album.name}</span>
        <span className='muted'>{album.photos === undefined ? 'Opening…' : count(album.photos, 'photo')}</span>
        {sync !== undefined && <span className='muted small-text'>{syncWords(sync)}</span>}
      </button>
    </li>
  )
}
