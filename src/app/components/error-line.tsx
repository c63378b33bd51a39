/** The last thing that went wrong, in words, announced at once. */
import { useAlbumStore } from '../state/album-store.ts'

export function ErrorLine () {
  const error = useAlbumStore((s) => s.error)
  return error === undefined ? null : <p role='alert' className='error'>{error.message}</p>
}
