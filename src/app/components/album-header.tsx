/** An album's title bar: back to the albums, its name, its sync in words, what this person can do, undo, and notices. */
import { useUiStore } from '../state/ui-store.ts'
import { useAlbumStore, type OwnChange } from '../state/album-store.ts'
import { ErrorLine } from './error-line.tsx'
import { ACCESS_WORDS, count, syncWords } from './status-words.ts'

const undoWords = (change: OwnChange): string => change.kind === 'added'
  ? `Undo adding ${count(change.photos.length, 'photo')}`
  : `Undo caption change (back to “${change.from}”)`

export function AlbumHeader () {
  const name = useAlbumStore((s) => s.name)
  const sync = useAlbumStore((s) => s.sync)
  const access = useAlbumStore((s) => s.access)
  const showHome = useUiStore((s) => s.showHome)
  const accessWords = access === undefined ? undefined : ACCESS_WORDS[access.state]
  const readOnly = access?.state === 'member' && (access.role === 'read' || access.role === 'follow')
  return (
    <div className='album-header'>
      <div className='album-title-row'>
        <button type='button' className='button small' onClick={showHome}><span aria-hidden='true'>←</span> Albums</button>
        <h2 data-testid='album-name' className='album-title'>{name}</h2>
      </div>
      {sync !== undefined && (
        <p data-testid='sync-status' data-state={sync.state} data-pending={sync.pending} data-direct={sync.direct} data-direct-since={sync.directSince} className='sync-line' role='status'>
          <span className='status-dot' aria-hidden='true' />{syncWords(sync)}
        </p>
      )}
      {accessWords !== undefined && <p data-testid='access' data-state={access?.state} role='status' className='notice'>{accessWords}</p>}
      {readOnly && <p className='muted' data-testid='viewer-note'>You can look at this album; adding photos needs a contributor's invite.</p>}
      <Notices />
      <ErrorLine />
    </div>
  )
}

/** Undo of this person's last change, and a concurrent edit that won over theirs. */
function Notices () {
  const lastChange = useAlbumStore((s) => s.lastChange)
  const undo = useAlbumStore((s) => s.undo)
  const notice = useAlbumStore((s) => s.notice)
  const dismiss = useAlbumStore((s) => s.dismissNotice)
  return (
    <div aria-live='polite'>
      {lastChange !== undefined && (
        <p className='undo-line'><button type='button' className='button small' onClick={() => { void undo() }}>{undoWords(lastChange)}</button></p>
      )}
      {notice !== undefined && (
        <p className='notice' data-testid='conflict'>{notice} <button type='button' className='button small' onClick={dismiss}>OK</button></p>
      )}
    </div>
  )
}
