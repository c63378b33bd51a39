/**
 * Media: files (photo originals, thumbnails, previews) encrypted in chunks
 * under a key of their own and stored as content-addressed blocks. See
 * format.ts for the format and docs/PROTOCOL.md, "Media".
 */
export { MalformedMediaError, MediaSizeMismatchError, TooManyChunksError } from './errors.ts'
export {
  CHUNK_OVERHEAD, DEFAULT_CHUNK_BYTES, MEDIA_FORMAT_VERSION, MEDIA_KEY_BYTES, MEDIA_LIMITS,
  mediaRefValue, parseManifest, parseMediaRef, verifyMediaBlock,
  type MediaBlock, type MediaManifest, type MediaRef
} from './format.ts'
export { encryptMedia, type ByteSource, type EncryptMediaOptions, type EncryptProgress } from './encrypt.ts'
export { getVerifiedBlock, mediaBlockCids, openMedia, readManifest, readMedia, type BlockGetter, type OpenMediaOptions } from './open.ts'
export { MalformedThumbnailPackError, PACK_LIMITS, packThumbnailFiles, packThumbnails, THUMBNAIL_PACK_VERSION, unpackThumbnails, type ThumbnailPack } from './thumbnail-pack.ts'
