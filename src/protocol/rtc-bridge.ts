/**
 * The WebRTC bridge between a tab and the background node.
 *
 * Chromium has no RTCPeerConnection in workers, so the node's WebRTC
 * connections are made by a tab on its behalf: the worker drives peer
 * connections and data channels that live in the tab with {@link BridgeCommand}s,
 * and the tab reports what happens to them with {@link BridgeEvent}s. Bytes cross
 * as transferred ArrayBuffers. Each tab offers a bridge once, on a port of its
 * own ({@link BridgeOffer}); the worker uses one tab at a time and moves to
 * another when that tab goes away, which it learns from the Web Lock named by
 * {@link tabLockName} (the tab holds it for as long as it lives).
 *
 * Handles: the worker numbers the peer connections and channels it creates
 * from 1 up; the tab numbers the channels the remote side opens from -1 down.
 */
import type { IceServer } from './ice-servers.ts'

/** Sent by a tab on its node port, with the bridge's own MessagePort transferred alongside. */
export interface BridgeOffer {
  readonly v: 1
  readonly type: 'rtc.bridge'
  /** The tab's random id; the tab holds the lock {@link tabLockName}(tab) while it lives. */
  readonly tab: string
}

/** The Web Lock a tab holds for its whole life, so the worker learns when it is gone. */
export const tabLockName = (tab: string): string => `threads-tab-${tab}`

/** Whether a message is a {@link BridgeOffer}. */
export function isBridgeOffer (data: unknown): data is BridgeOffer {
  const m = data as Partial<BridgeOffer> | null
  return typeof m === 'object' && m !== null && m.type === 'rtc.bridge' && m.v === 1 && typeof m.tab === 'string' && m.tab.length > 0 && m.tab.length <= 64
}

/** Peer connection methods the worker calls through the bridge; each is answered by a `pc.reply`. */
export type BridgeMethod = 'createOffer' | 'createAnswer' | 'setLocalDescription' | 'setRemoteDescription' | 'addIceCandidate'

/** A session description or ICE candidate as plain data. */
export type BridgeArgument = { readonly type: string, readonly sdp?: string } | Readonly<Record<string, unknown>> | null

/** Worker → tab. */
export type BridgeCommand =
  /** The node's STUN/TURN servers (the build's); a tab with servers set in the app uses those instead. */
  | { readonly op: 'pc.create', readonly pc: number, readonly config: { readonly iceServers: readonly IceServer[] } }
  | { readonly op: 'pc.call', readonly pc: number, readonly call: number, readonly method: BridgeMethod, readonly arg?: BridgeArgument }
  | { readonly op: 'pc.close', readonly pc: number }
  | { readonly op: 'dc.create', readonly pc: number, readonly dc: number, readonly label: string, readonly options?: { readonly ordered?: boolean, readonly protocol?: string } }
  | { readonly op: 'dc.send', readonly dc: number, readonly data: ArrayBuffer }
  | { readonly op: 'dc.close', readonly dc: number }

/** Tab → worker. */
export type BridgeEvent =
  | { readonly ev: 'pc.state', readonly pc: number, readonly state: RTCPeerConnectionState }
  | { readonly ev: 'pc.candidate', readonly pc: number, readonly candidate: Readonly<Record<string, unknown>> | null }
  | { readonly ev: 'pc.datachannel', readonly pc: number, readonly dc: number, readonly label: string, readonly protocol: string, readonly channelId: number | null, readonly readyState: RTCDataChannelState }
  | { readonly ev: 'pc.reply', readonly pc: number, readonly call: number, readonly ok: true, readonly value?: BridgeArgument }
  | { readonly ev: 'pc.reply', readonly pc: number, readonly call: number, readonly ok: false, readonly error: { readonly name: string, readonly message: string } }
  | { readonly ev: 'dc.open', readonly dc: number, readonly channelId: number | null }
  | { readonly ev: 'dc.message', readonly dc: number, readonly data: ArrayBuffer }
  /** After a send (size > 0) or when the tab's buffer drained (size 0): what the real channel still buffers. */
  | { readonly ev: 'dc.sent', readonly dc: number, readonly size: number, readonly buffered: number }
  | { readonly ev: 'dc.close', readonly dc: number }
  | { readonly ev: 'dc.error', readonly dc: number, readonly message: string }
