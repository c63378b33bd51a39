/**
 * Tab↔worker messages, protocol version 4.
 *
 * Guarantees:
 * - every message carries `v` (the protocol version) and a `type` discriminant; a
 *   tab's first request, `hello`, is answered only by a worker of the same version,
 *   and any other version is refused with a `ProtocolMismatchError` in words;
 * - every request carries an integer `id`, and the worker answers it exactly once,
 *   with the reply type listed for it in {@link ReplyTypes} or with an `error` reply;
 * - events ({@link NodeEvent}) carry no `id`: the worker pushes them unasked, to
 *   tabs that subscribed;
 * - whether a request is safe to send again after the worker serving it went
 *   away is declared with its type, in {@link SAFE_TO_REPEAT};
 * - messages are plain structured-cloneable data (no classes, no functions), so
 *   they cross a MessagePort unchanged.
 *
 * To add a call: declare its request and reply, add the request to {@link TabRequest},
 * the pair to {@link ReplyTypes} and {@link REPLY_TYPE_OF}, whether it is safe to
 * repeat, and a validator to the tables below; the mapped types make the compiler
 * point at anything missed.
 */
import {
  ALBUM_REPLY_TYPE_OF, ALBUM_SAFE_TO_REPEAT, albumEventValidators, albumReplyValidators, albumRequestValidators,
  type AlbumEvent, type AlbumReply, type AlbumRequest
} from './album-messages.ts'
import {
  FOLLOWER_REPLY_TYPE_OF, FOLLOWER_SAFE_TO_REPEAT, followerReplyValidators, followerRequestValidators,
  type FollowerReply, type FollowerRequest
} from './follower-messages.ts'
import {
  MEDIA_REPLY_TYPE_OF, MEDIA_SAFE_TO_REPEAT, mediaEventValidators, mediaReplyValidators, mediaRequestValidators,
  type MediaEvent, type MediaReply, type MediaRequest
} from './media-messages.ts'
import {
  MEMBER_REPLY_TYPE_OF, MEMBER_SAFE_TO_REPEAT, memberReplyValidators, memberRequestValidators,
  type MemberReply, type MemberRequest
} from './member-messages.ts'

/**
 * The protocol version this build speaks. A tab and a worker from different
 * deploys may differ; version 2 replaced polling (`album.watch`) with pushed
 * `album.changed` events; version 3 added members (reports carry them, invites
 * carry a role) and the member requests; version 4 photos as media (originals,
 * previews and thumbnails as encrypted blocks, fetched with progress).
 */
export const PROTOCOL_VERSION = 4

/** The type of {@link PROTOCOL_VERSION}. */
export type ProtocolVersion = typeof PROTOCOL_VERSION

/** A tab introduces itself; the worker answers with {@link ReadyReply} once its node is set up. */
export interface HelloRequest {
  readonly v: ProtocolVersion
  readonly type: 'hello'
  readonly id: number
}

/** The worker's answer to {@link HelloRequest}. */
export interface ReadyReply {
  readonly v: ProtocolVersion
  readonly type: 'ready'
  readonly id: number
  /** Random id of this worker instance, the same for every tab it serves. */
  readonly workerId: string
  /** The protocol version the worker speaks. */
  readonly protocol: ProtocolVersion
}

/** An error as it crosses the port: structured clone keeps only name and message reliably. */
export interface WireError {
  readonly name: string
  readonly message: string
}

/** The answer to any request that failed. */
export interface ErrorReply {
  readonly v: ProtocolVersion
  readonly type: 'error'
  readonly id: number
  readonly error: WireError
}

/** Adds the v/id envelope to each member of a union. */
type Enveloped<U> = U extends unknown ? U & { readonly v: ProtocolVersion, readonly id: number } : never

/** Every request a tab may send. */
export type TabRequest = HelloRequest | Enveloped<AlbumRequest> | Enveloped<MemberRequest> | Enveloped<FollowerRequest> | Enveloped<MediaRequest>

/** The `type` of a request. */
export type RequestType = TabRequest['type']

/** The request of a given type. */
export type RequestOf<T extends RequestType> = Extract<TabRequest, { type: T }>

/** The successful reply to each request type. */
export interface ReplyTypes {
  hello: ReadyReply
  'album.create': Extract<AlbumReply, { type: 'album.created' }> & Envelope1
  'album.list': Extract<AlbumReply, { type: 'album.listed' }> & Envelope1
  'album.join': Extract<AlbumReply, { type: 'album.joined' }> & Envelope1
  'album.invite': Extract<AlbumReply, { type: 'album.invited' }> & Envelope1
  'photo.add': Extract<AlbumReply, { type: 'photo.added' }> & Envelope1
  'photo.image': Extract<AlbumReply, { type: 'photo.imageData' }> & Envelope1
  'photo.rename': Extract<AlbumReply, { type: 'photo.renamed' }> & Envelope1
  'photo.remove': Extract<AlbumReply, { type: 'photo.removed' }> & Envelope1
  'album.subscribe': Extract<AlbumReply, { type: 'album.subscribed' }> & Envelope1
  'album.history': Extract<AlbumReply, { type: 'album.historyRead' }> & Envelope1
  'member.setRole': Extract<MemberReply, { type: 'member.roleSet' }> & Envelope1
  'member.remove': Extract<MemberReply, { type: 'member.removed' }> & Envelope1
  'album.leave': Extract<MemberReply, { type: 'album.left' }> & Envelope1
  'album.delete': Extract<MemberReply, { type: 'album.deleted' }> & Envelope1
  'profile.get': Extract<MemberReply, { type: 'profile.got' }> & Envelope1
  'profile.setName': Extract<MemberReply, { type: 'profile.named' }> & Envelope1
  'follower.add': Extract<FollowerReply, { type: 'follower.added' }> & Envelope1
  'photo.addMedia': Extract<MediaReply, { type: 'photo.mediaAdded' }> & Envelope1
  'photo.media': Extract<MediaReply, { type: 'photo.mediaData' }> & Envelope1
  'album.keepOriginals': Extract<MediaReply, { type: 'album.keptOriginals' }> & Envelope1
  'album.ownOriginals': Extract<MediaReply, { type: 'album.ownOriginalsCounted' }> & Envelope1
}

/** The v/id envelope every message carries. */
interface Envelope1 { readonly v: ProtocolVersion, readonly id: number }

/** The successful reply to a request of type `T`. */
export type ReplyTo<T extends RequestType> = ReplyTypes[T]

/** Every reply a worker may send. */
export type WorkerReply = ReplyTypes[RequestType] | ErrorReply

/** What a caller supplies for a request: everything but the envelope (`v`, `id`). */
export type RequestBody<T extends RequestType> = Omit<RequestOf<T>, 'v' | 'id'>

/** What a handler returns for a request: the reply without its envelope. */
export type ReplyBody<T extends RequestType> = Omit<ReplyTo<T>, 'v' | 'id'>

/** The reply `type` expected for each request `type`, for checking replies at runtime. */
export const REPLY_TYPE_OF: { readonly [T in RequestType]: ReplyTo<T>['type'] } = {
  hello: 'ready',
  ...ALBUM_REPLY_TYPE_OF,
  ...MEMBER_REPLY_TYPE_OF,
  ...FOLLOWER_REPLY_TYPE_OF,
  ...MEDIA_REPLY_TYPE_OF
}

/**
 * Whether a request of each type may be sent again, unchanged, to a worker that
 * took over from one that went away before answering it (the dedicated-worker
 * fallback's handover): true where doing it twice gives the same outcome as once.
 * A request that is not safe to repeat is answered with a `HandoverError` instead.
 */
export const SAFE_TO_REPEAT: { readonly [T in RequestType]: boolean } = {
  hello: true,
  ...ALBUM_SAFE_TO_REPEAT,
  ...MEMBER_SAFE_TO_REPEAT,
  ...FOLLOWER_SAFE_TO_REPEAT,
  ...MEDIA_SAFE_TO_REPEAT
}

/** Whether a request of type `type` (any value, read off a message) is safe to repeat; unknown types are not. */
export function isSafeToRepeat (type: unknown): boolean {
  return typeof type === 'string' && lookup(SAFE_TO_REPEAT, type) === true
}

/**
 * Requests that open a standing subscription: a worker that takes over must be
 * sent the latest of them again, answered or not, or the tab stops hearing events.
 */
export const SUBSCRIBING_TYPES: ReadonlySet<RequestType> = new Set<RequestType>(['album.subscribe'])

/** An event the worker pushes to a tab, unasked. */
export type NodeEvent = (AlbumEvent | MediaEvent) & { readonly v: ProtocolVersion }

/** An event without its version field, as a worker-side handler emits it. */
export type EventBody = AlbumEvent | MediaEvent

type Fields = Readonly<Record<string, unknown>>

const requestValidators: { readonly [T in RequestType]: (message: Fields) => boolean } = {
  hello: () => true,
  ...albumRequestValidators,
  ...memberRequestValidators,
  ...followerRequestValidators,
  ...mediaRequestValidators
}

const replyValidators: { readonly [T in WorkerReply['type']]: (message: Fields) => boolean } = {
  ready: (m) => typeof m.workerId === 'string' && m.protocol === PROTOCOL_VERSION,
  ...albumReplyValidators,
  ...memberReplyValidators,
  ...followerReplyValidators,
  ...mediaReplyValidators,
  error: (m) => isWireError(m.error)
}

/** The envelope every message shares, read from an unknown value without trusting it. */
export interface Envelope {
  readonly v: unknown
  readonly type: unknown
  readonly id: number | undefined
}

/** Reads the envelope of any object, so a message of another version can still be answered by id. */
export function envelopeOf (value: unknown): Envelope | undefined {
  if (!isFields(value)) return undefined
  const id = Number.isSafeInteger(value.id) ? value.id as number : undefined
  return { v: value.v, type: value.type, id }
}

/** True when `value` is a well-formed request of this protocol version. */
export function isTabRequest (value: unknown): value is TabRequest {
  if (!isCurrentEnvelope(value)) return false
  const validate = lookup(requestValidators, value.type)
  return validate !== undefined && validate(value)
}

const eventValidators: { readonly [T in NodeEvent['type']]: (message: Fields) => boolean } = {
  ...albumEventValidators,
  ...mediaEventValidators
}

/** True when `value` is a well-formed event of this protocol version (an event has no id). */
export function isNodeEvent (value: unknown): value is NodeEvent {
  if (!isFields(value) || value.v !== PROTOCOL_VERSION || typeof value.type !== 'string' || value.id !== undefined) return false
  const validate = lookup(eventValidators, value.type)
  return validate !== undefined && validate(value)
}

/** True when `value` is a well-formed reply of this protocol version. */
export function isWorkerReply (value: unknown): value is WorkerReply {
  if (!isCurrentEnvelope(value)) return false
  const validate = lookup(replyValidators, value.type)
  return validate !== undefined && validate(value)
}

/** True when `value` has the shape of a {@link WireError}. */
export function isWireError (value: unknown): value is WireError {
  return isFields(value) && typeof value.name === 'string' && typeof value.message === 'string'
}

function isCurrentEnvelope (value: unknown): value is Fields & { type: string } {
  return isFields(value) &&
    value.v === PROTOCOL_VERSION &&
    typeof value.type === 'string' &&
    Number.isSafeInteger(value.id)
}

function isFields (value: unknown): value is Fields {
  return typeof value === 'object' && value !== null
}

// Own properties only: a message typed "constructor" must not find Object.prototype's.
function lookup<V> (table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined
}
