/**
 * Tab↔worker messages, protocol version 1.
 *
 * Guarantees:
 * - every message carries `v` (the protocol version) and a `type` discriminant;
 * - every request carries an integer `id`, and the worker answers it exactly once,
 *   with the reply type listed for it in {@link ReplyTypes} or with an `error` reply;
 * - messages are plain structured-cloneable data (no classes, no functions), so
 *   they cross a MessagePort unchanged.
 *
 * To add a call: declare its request and reply, add the request to {@link TabRequest},
 * the pair to {@link ReplyTypes} and {@link REPLY_TYPE_OF}, and a validator to the
 * tables below; the mapped types make the compiler point at anything missed.
 */

/** The protocol version this build speaks. A tab and a worker from different deploys may differ. */
import { ALBUM_REPLY_TYPE_OF, albumReplyValidators, albumRequestValidators, type AlbumReply, type AlbumRequest } from './album-messages.ts'

export const PROTOCOL_VERSION = 1

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

/** Every request a tab may send. */
/** Adds the v/id envelope to each member of a union. */
type Enveloped<U> = U extends unknown ? U & { readonly v: ProtocolVersion, readonly id: number } : never

export type TabRequest = HelloRequest | Enveloped<AlbumRequest>

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
  'album.watch': Extract<AlbumReply, { type: 'album.state' }> & Envelope1
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
  ...ALBUM_REPLY_TYPE_OF
}

type Fields = Readonly<Record<string, unknown>>

const requestValidators: { readonly [T in RequestType]: (message: Fields) => boolean } = {
  hello: () => true,
  ...albumRequestValidators
}

const replyValidators: { readonly [T in WorkerReply['type']]: (message: Fields) => boolean } = {
  ready: (m) => typeof m.workerId === 'string' && m.protocol === PROTOCOL_VERSION,
  ...albumReplyValidators,
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
