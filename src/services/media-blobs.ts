/**
 * Moving media between Blobs and the media format without holding a file
 * whole: a Blob is read a piece at a time (a File handed over by a tab is a
 * reference to bytes on disk, not a copy), and opened media is gathered into a
 * Blob a few pieces at a time, so the worker holds a bounded number of
 * plaintext chunks however large the file is (the browser keeps a Blob's
 * bytes itself, paging large ones to disk).
 */

/** Bytes read from a Blob per piece. */
export const READ_PIECE_BYTES = 1024 * 1024

/** Plaintext gathered before it is folded into the Blob being built. */
export const FOLD_BYTES = 8 * 1024 * 1024

/** The bytes of `blob`, a piece at a time. */
export async function * blobPieces (blob: Blob, pieceBytes = READ_PIECE_BYTES): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < blob.size; offset += pieceBytes) {
    yield new Uint8Array(await blob.slice(offset, Math.min(blob.size, offset + pieceBytes)).arrayBuffer())
  }
}

/** A Blob of type `type` holding every piece of `source`, in order. */
export async function gatherBlob (source: AsyncIterable<Uint8Array>, type: string): Promise<Blob> {
  let blob = new Blob([], { type })
  let parts: Uint8Array<ArrayBuffer>[] = []
  let held = 0
  for await (const piece of source) {
    parts.push(piece as Uint8Array<ArrayBuffer>)
    held += piece.byteLength
    if (held >= FOLD_BYTES) {
      // A Blob made of a Blob references its bytes: only the new parts are copied, once.
      blob = new Blob([blob, ...parts], { type })
      parts = []
      held = 0
    }
  }
  return parts.length === 0 ? blob : new Blob([blob, ...parts], { type })
}
