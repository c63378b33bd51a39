/**
 * Tells the direct peers which logs a peer pushed records of, as its pushes
 * are served: announcements of those logs then wait for that peer's own push
 * rather than start pulls from everyone (announced-pulls.ts).
 */
import type { HandledRequest, RequestContext } from '../core/sync/handler.ts'
import type { SyncRequest } from '../core/sync/messages.ts'
import type { DirectPeers } from './direct-peers.ts'

/** `handle`, telling `peers()` (once there are any) of each push it took from a peer it knows by its peer ID. */
export function notingDirectPushes<C extends RequestContext> (handle: (request: SyncRequest, context: C) => Promise<HandledRequest>, peers: () => DirectPeers | undefined): (request: SyncRequest, context: C) => Promise<HandledRequest> {
  return async (request, context) => {
    const handled = await handle(request, context)
    if (request.type === 'push' && handled.response.type === 'pushed' && context.remotePeer !== undefined) {
      peers()?.pushed(request.thread, context.remotePeer, request.records.map((r) => r.log))
    }
    return handled
  }
}
