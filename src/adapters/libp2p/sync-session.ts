/**
 * Sync sessions over libp2p: one stream carrying many requests, one after
 * another, each a length-prefixed dag-cbor message answered by one, as on the
 * one-request protocol (sync-protocol.ts). Opening a stream costs a round
 * trip to agree on its protocol, and over WebRTC a new data channel set up
 * through the tab that carries the connection: a session pays that once, so
 * a write or an announcement costs one round trip to a directly connected
 * peer instead of two or three.
 *
 * Bounded as the one-request protocol is: each message within
 * MAX_MESSAGE_BYTES, each answer within the request timeout, a peer whose
 * request is malformed or whose records fail verification disconnected.
 * A session waits at most {@link SESSION_IDLE_MS} for its next request, and
 * a connection has at most 16 open. The answers held until their requesters
 * take them are within a byte budget per peer and for the node (answer-budget.ts).
 * The requester keeps at most
 * {@link MAX_IDLE_SESSIONS} idle, reuses none idle for longer than
 * {@link REUSE_WITHIN_MS} (well within the server's wait), sends a request
 * again on a fresh stream once if a reused one turns out to be gone (every
 * sync request is safe to repeat: pushes of records held already are
 * duplicates), and falls back to one request per stream with a peer that
 * does not serve sessions.
 */
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { varint } from 'multiformats'
import { byteStream, lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { SyncTransport } from '../../core/sync/engine.ts'
import type { HandledRequest } from '../../core/sync/handler.ts'
import { decodeResponse, encodeMessage, MAX_MESSAGE_BYTES, SYNC_PROTOCOL, type SyncRequest, type SyncResponse } from '../../core/sync/messages.ts'
import { answerRequest, refusal, type EncodedAnswer } from '../../core/sync/serve.ts'
import { ThreadsError, TooLargeError, TooManySessionsError } from '../../core/errors.ts'
import { createLogger } from '../../core/logger.ts'
import { budgetedAnswer, createAnswerBudget, type AnswerBudget } from './answer-budget.ts'
import { closedOrTimeout, exchangeSyncMessage, LP_OPTIONS, readFailure, REQUEST_TIMEOUT_MS, requesterOf, type Requester } from './sync-protocol.ts'

const log = createLogger('sync:libp2p-session')

/** The session protocol: the sync protocol's messages, many a stream. */
export const SYNC_SESSION_PROTOCOL = `${SYNC_PROTOCOL}/session`
/** How long a served session waits for its next request. */
export const SESSION_IDLE_MS = 30_000
/** How long a requester may leave a session idle and still reuse it. */
export const REUSE_WITHIN_MS = 10_000
/** Idle sessions a requester keeps per peer (a pull asks its next batch while one is applied). */
export const MAX_IDLE_SESSIONS = 2
/** Sessions one connection may hold open at once; libp2p resets those beyond. */
export const MAX_SESSIONS_PER_CONNECTION = 16

/** Options of {@link serveSyncSessions}: the waits (shorter where a test needs to see them end), and limits a public peer (a follower) applies. */
export interface ServeSessionsOptions {
  /** How long a session waits for its next request ({@link SESSION_IDLE_MS} unless given). */
  readonly idleMs?: number
  /** How long an answer may take to be read by the peer (REQUEST_TIMEOUT_MS unless given); a session whose answer is not taken in time is ended. */
  readonly answerTimeoutMs?: number
  /**
   * Called as the first byte of each request arrives (an idle session takes
   * nothing): a function to call once it is answered, or an error to answer
   * with at once; the request is then dropped as it is read (never held
   * whole), and the session waits for the next.
   */
  readonly admit?: (from: Requester) => (() => void) | ThreadsError
  /** Sessions one peer may hold open at once over all its connections; one past it is refused in words and ended. */
  readonly maxSessionsPerPeer?: number
  /** Bytes of answers held until their requesters take them (answer-budget.ts; one of the default limits unless given). */
  readonly answerBudget?: AnswerBudget
}

/** Read failures that end a session quietly: the requester closed it, or it stayed idle. */
const QUIET_ENDS = new Set(['UnexpectedEOFError', 'AbortError', 'TimeoutError'])

/** Serves sync sessions with `handler` on `node`; `handler` is told who asks. */
export async function serveSyncSessions (node: Libp2p, handler: (request: SyncRequest, from: Requester) => Promise<HandledRequest>, options: ServeSessionsOptions = {}): Promise<void> {
  const open = new Map<string, number>()
  const waits = { idleMs: options.idleMs ?? SESSION_IDLE_MS, answerTimeoutMs: options.answerTimeoutMs ?? REQUEST_TIMEOUT_MS, answerBudget: options.answerBudget ?? createAnswerBudget() }
  await node.handle(SYNC_SESSION_PROTOCOL, async (stream, connection) => {
    const from = requesterOf(connection)
    const held = (open.get(from.peer) ?? 0) + 1
    open.set(from.peer, held)
    try {
      if (options.maxSessionsPerPeer !== undefined && held > options.maxSessionsPerPeer) {
        await refuseSession(stream, new TooManySessionsError(`${from.peer} already holds the ${options.maxSessionsPerPeer} sync sessions one peer may; send on those`))
        return
      }
      await serveSession(stream, connection, from, handler, { ...waits, admit: options.admit })
    } finally {
      const left = (open.get(from.peer) ?? 1) - 1
      if (left === 0) open.delete(from.peer)
      else open.set(from.peer, left)
    }
  }, { maxInboundStreams: MAX_SESSIONS_PER_CONNECTION, runOnLimitedConnection: true })
}

/** Answers `error` to whatever comes first on `stream`, then ends it. */
async function refuseSession (stream: Stream, error: ThreadsError): Promise<void> {
  try {
    await lpStream(stream, { ...LP_OPTIONS }).write(refusal(error).bytes, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    await stream.close({ signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
  } catch (failure) {
    stream.abort(failure instanceof Error ? failure : new Error(String(failure)))
  }
}

/** How a session is served: its waits, and the admission of each request. */
type SessionRules = Required<Pick<ServeSessionsOptions, 'idleMs' | 'answerTimeoutMs' | 'answerBudget'>> & Pick<ServeSessionsOptions, 'admit'>

/** The most bytes of a length prefix of a message within MAX_MESSAGE_BYTES. */
const MAX_LENGTH_PREFIX_BYTES = varint.encodingLength(MAX_MESSAGE_BYTES)
/** How much of a refused request is read at once before it is dropped. */
const DROP_CHUNK_BYTES = 64 * 1024
/** An answer up to this size is sent with its length prefix in one frame (copied once); a larger one as two, uncopied. */
const JOIN_ANSWER_BYTES = 64 * 1024

/**
 * The session's bytes, read and written through one byte stream for the
 * session's life (not one reader a request, each adding and removing its
 * listeners): requests are read a part at a time, so each is admitted as its
 * first byte arrives and a refused one is dropped as it is read.
 */
type SessionBytes = ReturnType<typeof byteStream<Stream>>

/**
 * Waits for the first byte of the session's next request, at most `idleMs`;
 * undefined when the requester closed the session.
 */
async function nextRequestBegins (bytes: SessionBytes, idleMs: number): Promise<number | undefined> {
  try {
    return (await bytes.read({ bytes: 1, signal: AbortSignal.timeout(idleMs) })).get(0)
  } catch (error) {
    const name = (error as Error)?.name
    if (name !== 'TimeoutError' && QUIET_ENDS.has(name)) return undefined
    throw error
  }
}

/** The length a request's prefix declares, given its `first` byte (read already); a length past MAX_MESSAGE_BYTES is a TooLargeError. */
async function requestLength (bytes: SessionBytes, first: number, signal: AbortSignal): Promise<number> {
  const prefix = new Uint8Array(MAX_LENGTH_PREFIX_BYTES)
  prefix[0] = first
  let read = 1
  while (prefix[read - 1]! >= 0x80) {
    if (read === MAX_LENGTH_PREFIX_BYTES) throw new TooLargeError(`a request is over the ${MAX_MESSAGE_BYTES} bytes a sync message may take`)
    prefix[read++] = (await bytes.read({ bytes: 1, signal })).get(0)
  }
  const [length] = varint.decode(prefix.subarray(0, read))
  if (length > MAX_MESSAGE_BYTES) throw new TooLargeError(`a request is ${length} bytes; a sync message may take ${MAX_MESSAGE_BYTES}`)
  return length
}

/** Reads the rest of a request begun with `first` and drops it a chunk at a time (never held whole), all within `signal`. */
async function dropRequest (bytes: SessionBytes, first: number, signal: AbortSignal): Promise<void> {
  for (let left = await requestLength(bytes, first, signal); left > 0;) left -= (await bytes.read({ bytes: Math.min(left, DROP_CHUNK_BYTES), signal })).byteLength
}

/** Reads the rest of a request begun with `first`, whole, within `signal`; one cut short is an UnexpectedEOFError. */
async function readRequest (bytes: SessionBytes, first: number, signal: AbortSignal): Promise<Uint8Array> {
  const length = await requestLength(bytes, first, signal)
  return length === 0 ? new Uint8Array(0) : (await bytes.read({ bytes: length, signal })).subarray()
}

/** Sends one length-prefixed message. */
async function sendMessage (bytes: SessionBytes, data: Uint8Array, options: { signal: AbortSignal }): Promise<void> {
  const prefix = varint.encodeTo(data.byteLength, new Uint8Array(varint.encodingLength(data.byteLength)))
  if (data.byteLength > JOIN_ANSWER_BYTES) {
    await bytes.write(prefix, options)
    await bytes.write(data, options)
    return
  }
  const framed = new Uint8Array(prefix.byteLength + data.byteLength)
  framed.set(prefix)
  framed.set(data, prefix.byteLength)
  await bytes.write(framed, options)
}

/** Serves one session: request after request, each admitted as it begins. */
async function serveSession (stream: Stream, connection: Connection, from: Requester, handler: (request: SyncRequest, from: Requester) => Promise<HandledRequest>, rules: SessionRules): Promise<void> {
  const answering = (): { signal: AbortSignal } => ({ signal: AbortSignal.timeout(rules.answerTimeoutMs) })
  const bytes = byteStream(stream, { maxBufferSize: LP_OPTIONS.maxBufferSize })
  try {
    for (;;) {
      const first = await nextRequestBegins(bytes, rules.idleMs)
      if (first === undefined) break
      const admitted = rules.admit?.(from) ?? (() => {})
      // The rest of the request (its length prefix, then its body) arrives within the session's wait.
      const reading = AbortSignal.timeout(rules.idleMs)
      if (admitted instanceof ThreadsError) {
        // Refused (a limit, not the peer's fault): the request is dropped as it is read, never held whole, and the
        // session stays for the next one, so a requester told to try again later does so without a new stream.
        await sendMessage(bytes, refusal(admitted).bytes, answering())
        await dropRequest(bytes, first, reading)
        continue
      }
      let request: Uint8Array
      try {
        request = await readRequest(bytes, first, reading)
      } catch (error) {
        admitted()
        // A request left unfinished: ended at once, not after waiting for a peer that is not sending to close its side.
        if ((error as Error)?.name === 'TimeoutError') throw error
        // Too large or cut short: answered in words.
        await sendMessage(bytes, refusal(readFailure(error, 'the request')).bytes, answering())
        break
      }
      const { answer, release } = budgetedAnswer(rules.answerBudget, from.peer, await answerRequest(async (r) => await handler(r, from), request).finally(admitted))
      // Written whole before the next request is read: a peer that does not read its answers has one held here, for a bounded time.
      await sendMessage(bytes, answer.bytes, answering()).finally(release)
      if (answer.abusive) {
        // Let the peer read why before the connection goes: wait for its side to close, briefly.
        await closedOrTimeout(stream, 2000)
        await connection.close().catch((error: unknown) => { log.failure(`closing the connection of abusive peer ${from.peer}`, error) })
        return
      }
    }
    await stream.close(answering())
  } catch (error) {
    // Idle too long, or the peer went away or stopped reading: nobody is left to answer.
    stream.abort(error instanceof Error ? error : new Error(String(error)))
  }
}

interface Session {
  readonly stream: Stream
  readonly lp: LengthPrefixedStream<Stream>
  idleSince: number
}

/** A session transport, which also sends requests encoded ahead of time (as exchangeSyncMessage does on one stream each). */
export interface SessionTransport extends SyncTransport {
  /** Sends one encoded sync request as `request` sends a request object. */
  send(bytes: Uint8Array, options?: { signal?: AbortSignal }): Promise<SyncResponse>
}

/** A transport that sends requests to `peer` over sessions, or one stream a request where the peer serves no sessions. */
export function libp2pSessionTransport (node: Libp2p, peer: PeerId | Multiaddr | Multiaddr[]): SessionTransport {
  const idle: Session[] = []
  let sessionsServed = true

  const live = (stream: Stream): boolean => stream.status === 'open' && stream.remoteWriteStatus === 'writable'
  const usable = (session: Session): boolean => live(session.stream) && Date.now() - session.idleSince <= REUSE_WITHIN_MS

  /** Keeps a session that answered for the next request, or closes it. */
  const put = (session: Session): void => {
    if (idle.length >= MAX_IDLE_SESSIONS || !live(session.stream)) { closeQuietly(session.stream); return }
    session.idleSince = Date.now()
    idle.push(session)
  }

  async function open (signal: AbortSignal): Promise<Session | undefined> {
    try {
      const stream = await node.dialProtocol(peer, SYNC_SESSION_PROTOCOL, { signal, runOnLimitedConnection: true })
      return { stream, lp: lpStream(stream, { ...LP_OPTIONS }), idleSince: Date.now() }
    } catch (error) {
      if ((error as Error)?.name !== 'UnsupportedProtocolError') throw error
      sessionsServed = false
      return undefined
    }
  }

  /** One request on `session`, kept for the next once answered; a session that fails is ended. */
  async function exchange (session: Session, bytes: Uint8Array, signal: AbortSignal): Promise<ReturnType<typeof decodeResponse>> {
    try {
      await session.lp.write(bytes, { signal })
      // A read called off (cancelled, timed out) keeps its own error; any other failure is named.
      const response = decodeResponse((await session.lp.read({ signal }).catch((error: unknown) => { throw signal.aborted ? error : readFailure(error, 'the answer') })).subarray())
      put(session)
      return response
    } catch (error) {
      session.stream.abort(error instanceof Error ? error : new Error(String(error)))
      throw error
    }
  }

  /** An idle session still fit to reuse, if any (those past it are closed). */
  function takeIdle (): Session | undefined {
    for (let session = idle.shift(); session !== undefined; session = idle.shift()) {
      if (usable(session)) return session
      closeQuietly(session.stream)
    }
    return undefined
  }

  return {
    proofPeer: () => node.peerId.toString(),
    request: async (request, options) => await send(encodeMessage(request), options),
    send
  }

  async function send (bytes: Uint8Array, options?: { signal?: AbortSignal }): Promise<SyncResponse> {
    if (!sessionsServed) return await exchangeSyncMessage(node, peer, bytes, options)
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    const signal = options?.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
    const reused = takeIdle()
    if (reused !== undefined) {
      try {
        return await exchange(reused, bytes, signal)
      } catch (error) {
        if (signal.aborted) throw error
        // The peer ended this session meanwhile: the request goes again on a fresh one.
        log('a reused sync session failed (%s), asking on a fresh one', (error as Error)?.name)
      }
    }
    const session = await open(signal)
    if (session === undefined) return await exchangeSyncMessage(node, peer, bytes, options)
    const answer = await exchange(session, bytes, signal)
    // This peer holds as many sessions as the server lets it: this request goes on a stream of its own.
    if (answer.type === 'error' && answer.name === TooManySessionsError.errorName) return await exchangeSyncMessage(node, peer, bytes, options)
    return answer
  }
}

/** Closes a session no longer wanted; one already gone needs nothing more. */
function closeQuietly (stream: Stream): void {
  stream.close({ signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch((error: unknown) => {
    log('closing an idle sync session failed: %s', (error as Error)?.name)
    stream.abort(error instanceof Error ? error : new Error(String(error)))
  })
}
