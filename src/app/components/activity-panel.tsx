/** The album's activity in plain words, and for the curious, a picture of its logs. */
import { useMemo, useState } from 'react'
import { useAlbumStore } from '../state/album-store.ts'
import { useHistoryStore } from '../state/history-store.ts'
import { activityOf } from './activity.ts'
import { LogPicture } from './log-picture.tsx'
import { when } from './status-words.ts'

export function ActivityPanel () {
  const entries = useHistoryStore((s) => s.entries)
  const members = useAlbumStore((s) => s.members)
  const lines = useMemo(() => activityOf(entries, members), [entries, members])
  // The picture draws every record: drawn only while open, it costs nothing as the album changes.
  const [picture, setPicture] = useState(false)
  return (
    <section className='activity section' aria-labelledby='activity-heading'>
      <h3 id='activity-heading'>Activity</h3>
      {lines.length === 0 && <p className='muted'>Reading the album's history…</p>}
      <ol className='activity-list' aria-label='Activity'>
        {lines.slice(0, 100).map((l) => (
          <li key={l.key}>{l.words}{l.at > 0 && <span className='muted'> · {when(l.at)}</span>}</li>
        ))}
      </ol>
      <details className='logs' onToggle={(e) => { setPicture(e.currentTarget.open) }}>
        <summary>Picture of the logs</summary>
        {picture && <LogPicture />}
      </details>
    </section>
  )
}
