/** The album's activity, in plain words. */
import { useMemo } from 'react'
import { useAlbumStore } from '../state/album-store.ts'
import { activityOf } from './activity.ts'
import { when } from './status-words.ts'

export function ActivityPanel () {
  const photos = useAlbumStore((s) => s.photos)
  const members = useAlbumStore((s) => s.members)
  const lines = useMemo(() => activityOf(photos, members), [photos, members])
  return (
    <section className='activity section' aria-labelledby='activity-heading'>
      <h3 id='activity-heading'>Activity</h3>
      <ol className='activity-list' aria-label='Activity'>
        {lines.slice(0, 100).map((l) => (
          <li key={l.key}>{l.words}{l.at !== undefined && <span className='muted'> · {when(l.at)}</span>}</li>
        ))}
      </ol>
    </section>
  )
}
