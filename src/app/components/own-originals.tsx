/**
 * In words, how many of the originals this device added to the album a backup
 * server (the follower) has confirmed it holds whole, and how many are only on
 * this device: only confirmed ones may be let go when storage runs low. Asked
 * again when photos or the sync change, and now and then while some are only
 * here (the follower fetches a file after its record arrives).
 */
import { useEffect, useState } from 'react'
import { toWireError } from '../../protocol/errors.ts'
import { ownOriginals, type OwnOriginals } from '../client/media.ts'
import { useAlbumStore } from '../state/album-store.ts'
import { ownOriginalsWords } from './own-originals-words.ts'

/** How long to wait before asking again while some originals are only on this device. */
const ASK_AGAIN_MS = 20_000

export function OwnOriginalsLine ({ thread }: { thread: string }) {
  const photos = useAlbumStore((s) => s.photos.length)
  const sync = useAlbumStore((s) => s.sync?.state)
  const [counts, setCounts] = useState<OwnOriginals | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [round, setRound] = useState(0)
  useEffect(() => {
    let shown = true
    ownOriginals(thread).then(
      (c) => { if (shown) { setError(undefined); setCounts(c) } },
      (failure: unknown) => { if (shown) setError(toWireError(failure).message) })
    return () => { shown = false }
  }, [thread, photos, sync, round])
  const waiting = counts !== undefined && counts.confirmed < counts.own
  useEffect(() => {
    if (!waiting) return
    const timer = setTimeout(() => { setRound((r) => r + 1) }, ASK_AGAIN_MS)
    return () => { clearTimeout(timer) }
  }, [waiting, round])
  if (error !== undefined) return <p role='alert' className='error'>Could not tell which originals are backed up: {error}</p>
  if (counts === undefined || counts.own === 0) return null
  return <p className='muted' role='status' data-testid='own-originals'>{ownOriginalsWords(counts)}</p>
}
