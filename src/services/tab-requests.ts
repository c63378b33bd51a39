/**
 * A tab's requests on their way to a node that may hand over to another (the
 * dedicated-worker fallback, where the node runs in whichever tab's worker
 * leads). It holds the tab's requests until a node leads, remembers which are
 * unanswered, and when a different node takes over it sends that node again
 * those the protocol declares safe to repeat (SAFE_TO_REPEAT), and the tab's
 * latest subscription, answered or not, so the tab keeps hearing its album's
 * changes; every other unanswered request is answered at once with a
 * HandoverError saying in words that it may or may not have been done.
 */
import { HandoverError, toWireError } from '../protocol/errors.ts'
import { PROTOCOL_VERSION, SUBSCRIBING_TYPES, envelopeOf, isSafeToRepeat, type ErrorReply, type RequestType } from '../protocol/messages.ts'

/** Options of {@link createTabRequests}. */
export interface TabRequestsOptions {
  /** Sends a message of the tab to the node leading now. */
  readonly forward: (data: unknown) => void
  /** Gives the tab a reply. */
  readonly reply: (data: unknown) => void
}

/** The tab's side of the relay. */
export interface TabRequests {
  /** A message from the tab: forwarded to the leading node, or held until one leads. */
  fromTab(data: unknown): void
  /** A reply from the node for this tab: passed on, and no longer waited for. */
  fromNode(data: unknown): void
  /** A node announced it leads; when it replaces another, requests are repeated or answered as above. */
  leaderIs(leader: string): void
}

/** Makes a tab's request relay. */
export function createTabRequests ({ forward, reply }: TabRequestsOptions): TabRequests {
  let leader: string | undefined
  const held: unknown[] = []
  /** Requests sent to the leader and not answered yet, by request id. */
  const unanswered = new Map<number, { readonly type: unknown, readonly data: unknown }>()
  /** The latest subscription request, answered or not: a new leader must be sent it again. */
  let subscription: { readonly id: number, readonly data: unknown } | undefined

  const send = (data: unknown): void => {
    const envelope = envelopeOf(data)
    if (envelope?.id !== undefined) {
      unanswered.set(envelope.id, { type: envelope.type, data })
      if (SUBSCRIBING_TYPES.has(envelope.type as RequestType)) subscription = { id: envelope.id, data }
    }
    forward(data)
  }

  const handOver = (): void => {
    const waiting = [...unanswered]
    unanswered.clear()
    if (subscription !== undefined && !waiting.some(([id]) => id === subscription?.id)) send(subscription.data)
    for (const [id, request] of waiting) {
      if (isSafeToRepeat(request.type)) {
        send(request.data)
        continue
      }
      const lost: ErrorReply = {
        v: PROTOCOL_VERSION,
        type: 'error',
        id,
        error: toWireError(new HandoverError('The tab running the background node closed while this was being done, so it may or may not have been saved. Check, and try again if it is missing.'))
      }
      reply(lost)
    }
  }

  return {
    fromTab (data) {
      if (leader !== undefined) send(data)
      else held.push(data)
    },
    fromNode (data) {
      const id = envelopeOf(data)?.id
      if (id !== undefined) unanswered.delete(id)
      reply(data)
    },
    leaderIs (next) {
      if (next === leader) return
      const previous = leader
      leader = next
      if (previous !== undefined) handOver()
      for (const data of held.splice(0)) send(data)
    }
  }
}
