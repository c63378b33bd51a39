/** What the tab and its photo-preparing workers say to each other (photo-prep-worker.ts, photo-prep-pool.ts). */
import type { PhotoMedia } from '../../protocol/media-messages.ts'

/** Prepare `file`; the answer names the same `id`. */
export interface PrepRequest {
  readonly id: number
  readonly file: File
}

/** The renditions of a file, or why it was refused (its error's name and words). */
export type PrepReply =
  | { readonly id: number, readonly preview: Blob, readonly thumbnail: Blob, readonly media: PhotoMedia }
  | { readonly id: number, readonly error: { readonly name: string, readonly message: string } }
