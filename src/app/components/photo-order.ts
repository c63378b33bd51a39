/** The grid's order: newest added first, or by the date each photo was taken where known (else when added). */
import type { PhotoView } from '../../protocol/album-messages.ts'
import type { PhotoOrder } from '../state/ui-store.ts'

/** When the photo was taken, where its record says so; when it was added otherwise. */
export const takenAt = (photo: PhotoView): number => {
  const taken = (photo as PhotoView & { readonly takenAt?: unknown }).takenAt
  return typeof taken === 'number' ? taken : photo.addedAt
}

/** `photos` in `order`, newest first. */
export function ordered (photos: readonly PhotoView[], order: PhotoOrder): readonly PhotoView[] {
  if (order === 'added') return photos // the node reports them newest added first
  return [...photos].sort((a, b) => takenAt(b) - takenAt(a))
}
