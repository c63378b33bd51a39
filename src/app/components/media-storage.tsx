/**
 * How this device stores the album's photos: the space this site uses of what
 * the browser allows (navigator.storage.estimate()), whether the browser keeps
 * it under pressure, the album's "keep originals on this device" choice, and
 * how many of the originals added here a backup server holds.
 */
import { useEffect, useState } from 'react'
import { toWireError } from '../../protocol/errors.ts'
import { keepOriginals, storageStatus, type StorageStatus } from '../client/media.ts'
import { useAlbumStore } from '../state/album-store.ts'
import { OwnOriginalsLine } from './own-originals.tsx'

const megabytes = (bytes: number): string => bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`

export function MediaStorage ({ thread }: { thread: string }) {
  const keep = useAlbumStore((s) => s.keepOriginals)
  const photos = useAlbumStore((s) => s.photos.length)
  const [status, setStatus] = useState<StorageStatus | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  useEffect(() => {
    let shown = true
    storageStatus().then((s) => { if (shown) setStatus(s) }, (failure: unknown) => { if (shown) setError(toWireError(failure).message) })
    return () => { shown = false }
  }, [thread, photos, keep])
  const choose = (value: boolean): void => {
    setError(undefined)
    keepOriginals(thread, value).catch((failure: unknown) => { setError(toWireError(failure).message) })
  }
  return (
    <>
      <p className='muted' data-testid='media-storage'>
        <label><input type='checkbox' checked={keep} onChange={(e) => { choose(e.target.checked) }} /> Keep originals on this device</label>
        {status !== undefined && <> · This site stores {megabytes(status.usage)} of {megabytes(status.quota)}{status.persisted ? ', kept even when space runs low' : ''}</>}
        {error !== undefined && <span role='alert' className='error'> {error}</span>}
      </p>
      <OwnOriginalsLine thread={thread} />
    </>
  )
}
