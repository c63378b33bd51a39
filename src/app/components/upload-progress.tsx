/** Progress of the photos being added: the total, each file, and each refusal in words. */
import type { FileProgress } from '../client/photos.ts'
import { useUploadStore } from '../state/upload-store.ts'

const STATE_WORDS: { readonly [S in FileProgress['state']]: string } = {
  waiting: 'Waiting',
  preparing: 'Preparing',
  saving: 'Saving',
  added: 'Added',
  refused: 'Refused'
}

export function UploadProgress () {
  const rows = useUploadStore((s) => s.rows)
  const done = useUploadStore((s) => s.done)
  const running = useUploadStore((s) => s.running)
  const dismiss = useUploadStore((s) => s.dismiss)
  if (rows.length === 0) return null
  const refused = rows.filter((r) => r.progress.state === 'refused')
  return (
    <section className='uploads' aria-label='Adding photos'>
      <p role='status' data-testid='upload-total'>
        {running ? `Adding photos: ${done} of ${rows.length} done` : `Added ${rows.length - refused.length} of ${rows.length} photos`}
      </p>
      <progress max={rows.length} value={done} aria-label='Photos added so far' />
      <ul className='upload-rows' aria-label='Files'>
        {rows.map((r, i) => (
          <li key={i} data-state={r.progress.state}>
            <span className='upload-name'>{r.name}</span>
            <span className='muted'>{r.progress.state === 'refused' ? `Refused: ${r.progress.error.message}` : STATE_WORDS[r.progress.state]}</span>
          </li>
        ))}
      </ul>
      {refused.length > 0 && (
        <div role='alert' className='error'>
          {refused.map((r, i) => <p key={i}>{r.name} was not added: {r.progress.state === 'refused' ? r.progress.error.message : ''}</p>)}
        </div>
      )}
      {!running && <button type='button' className='button small' onClick={dismiss}>Done</button>}
    </section>
  )
}
