/**
 * The sync protocol over libp2p: one stream per request, one length-prefixed
 * dag-cbor message each way. Every request gets an answer in words, whatever
 * it is (serve.ts): one over MAX_MESSAGE_BYTES is answered with a
 * TooLargeError without being read. The serving side then disconnects a peer
 * whose request is malformed or whose records fail verification. A stream
 * handler never throws, so no peer can end the serving process.
 */
import { budgetedAnswer, createAnswerBudget, type AnswerBudget } from './answer-budget.ts'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { lpStream } from '@libp2p/utils'
import type { SyncTransport } from '../../core/sync/engine.ts'
import type { HandledRequest, RequestContext } from '../../core/sync/handler.ts'
import { decodeResponse, encodeMessage, MAX_MESSAGE_BYTES, SYNC_PROTOCOL, type SyncRequest, type SyncResponse } from '../../core/sync/messages.ts'
import { answerRequest, refusal, type EncodedAnswer } from '../../core/sync/serve.ts'
import { MalformedMessageError, ThreadsError, TooLargeError } from '../../core/errors.ts'
import { createLogger } from '../../core/logger.ts'

const log = createLogger('sync:libp2p')

/** How long one request may take on the wire. */
export const REQUEST_TIMEOUT_MS = 30_000

/**
 * Length-prefixed reads of whole messages up to the limit. The reader buffers
 * a message until all of it has arrived, and by default gives up at 4 MiB:
 * allow a whole message and its length prefix, and nothing beyond.
 */
export const LP_OPTIONS = { maxDataLength: MAX_MESSAGE_BYTES, maxBufferSize: MAX_MESSAGE_BYTES + 1024 }

export async function closedOrTimeout (stream: Stream, ms: number): Promise<void> {
  if (stream.status === 'closed' || stream.status === 'aborted' || stream.status === 'reset') return
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    stream.addEventListener('close', () => { clearTimeout(timer); resolve() }, { once: true })
  })
}

/**
 * A failed read of a whole message, as a named error: over the limit is
 * TooLargeError (the length prefix alone decides); cut short, stalled or
 * otherwise unreadable is MalformedMessageError.
 */
export function readFailure (error: unknown, whose: string): ThreadsError {
  if (error instanceof ThreadsError) return error
  const name = (error as Error)?.name
  if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError') {
    return new TooLargeError(`${whose} is over the ${MAX_MESSAGE_BYTES} bytes a sync message may take`, { cause: error })
  }
  return new MalformedMessageError(`${whose} could not be read: ${(error as Error)?.message ?? String(error)}`, { cause: error })
}

/** Who sent a request: its peer ID (also as the context pull proofs are checked against), and the IP address its connection comes from (when it has one). */
export interface Requester extends RequestContext {
  readonly peer: string
  readonly remotePeer: string
  readonly ip?: string
}

/** Options of {@link serveSync}. */
export interface ServeSyncOptions {
  /**
   * Called before a request is read: a function to call once it is answered,
   * or an error to answer with at once, without reading it (a limit was met).
   */
  readonly admit?: (from: Requester) => (() => void) | ThreadsError
  /** Streams of the protocol one connection may have open at once (64 unless given); libp2p resets those beyond. */
  readonly maxInboundStreams?: number
  /** Bytes of answers held until their requesters take them (answer-budget.ts; one of the default limits unless given). */
  readonly answerBudget?: AnswerBudget
}

/** The IP address in a multiaddr, if it has one. */
export function ipOf (address: Multiaddr): string | undefined {
  return address.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value
}

/** Who asks on `connection`: the requester's peer ID is what its pull proofs must name on it. */
export function requesterOf (connection: Connection): Requester {
  const ip = ipOf(connection.remoteAddr)
  const peer = connection.remotePeer.toString()
  return ip === undefined ? { peer, remotePeer: peer } : { peer, remotePeer: peer, ip }
}

/** Serves sync requests with `handler` on `node`; `handler` is told who asks. */
export async function serveSync (node: Libp2p, handler: (request: SyncRequest, from: Requester) => Promise<HandledRequest>, options: ServeSyncOptions = {}): Promise<void> {
  const budget = options.answerBudget ?? createAnswerBudget()
  await node.handle(SYNC_PROTOCOL, async (stream, connection) => {
    const lp = lpStream(stream, { ...LP_OPTIONS })
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    const from = requesterOf(connection)
    const admitted = options.admit?.(from) ?? (() => {})
    let answer: EncodedAnswer
    if (admitted instanceof ThreadsError) {
      // Refused unread: a limit, not the peer's fault.
      answer = { ...refusal(admitted), abusive: false }
    } else {
      try {
        answer = await answerRequest(async (request) => await handler(request, from), (await lp.read({ signal })).subarray())
      } catch (error) {
        // Only the read can throw here: the request was too large, cut short or too slow.
        answer = refusal(readFailure(error, 'the request'))
      } finally {
        admitted()
      }
    }
    const held = budgetedAnswer(budget, from.peer, answer)
    answer = held.answer
    try {
      await lp.write(answer.bytes, { signal })
      await stream.close({ signal })
    } catch (error) {
      // The peer went away or stopped reading: nobody is left to answer.
      stream.abort(error instanceof Error ? error : new Error(String(error)))
    } finally {
      held.release()
      if (answer.abusive) {
        // Let the peer read why before the connection goes: wait for its side to close, briefly.
        await closedOrTimeout(stream, 2000)
        await connection.close().catch((error: unknown) => { log.failure(`closing the connection of abusive peer ${connection.remotePeer.toString()}`, error) })
      }
    }
  }, { maxInboundStreams: options.maxInboundStreams ?? 64, runOnLimitedConnection: true })
}

/**
 * Sends one encoded sync request to `peer` over a new stream and reads its
 * answer; what `libp2pSyncTransport` sends each request with, for callers
 * that encode their requests ahead of time.
 */
export async function exchangeSyncMessage (node: Libp2p, peer: PeerId | Multiaddr | Multiaddr[], bytes: Uint8Array, options?: { signal?: AbortSignal }): Promise<SyncResponse> {
  // The caller's signal (a sync being cancelled, or one request called off) and the wire timeout both end it.
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  const signal = options?.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
  const stream = await node.dialProtocol(peer, SYNC_PROTOCOL, { signal, runOnLimitedConnection: true })
  try {
    const lp = lpStream(stream, { ...LP_OPTIONS })
    await lp.write(bytes, { signal })
    // A read called off (cancelled, timed out) keeps its own error; any other failure is named.
    const response = decodeResponse((await lp.read({ signal }).catch((error: unknown) => { throw signal.aborted ? error : readFailure(error, 'the answer') })).subarray())
    // The answer is whole: closing is not waited for (over WebRTC it waits for the peer to acknowledge, one more round trip).
    stream.close({ signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch((error: unknown) => {
      log('closing a sync stream after its answer failed: %s', (error as Error)?.name)
      stream.abort(error instanceof Error ? error : new Error(String(error)))
    })
    return response
  } catch (error) {
    stream.abort(error instanceof Error ? error : new Error(String(error)))
    throw error
  }
}

/** A transport that sends each request to `peer` over a new stream. */
export function libp2pSyncTransport (node: Libp2p, peer: PeerId | Multiaddr | Multiaddr[]): SyncTransport {
  return {
    proofPeer: () => node.peerId.toString(),
    request: async (request, options) => await exchangeSyncMessage(node, peer, encodeMessage(request), options)
  }
}
