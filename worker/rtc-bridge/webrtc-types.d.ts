/**
 * The WebRTC types the bridge names that TypeScript's WebWorker library leaves
 * out, because Chromium runs no RTCPeerConnection in workers (the reason the
 * bridge exists). Copied from the DOM library (lib.dom.d.ts), limited to the
 * members the bridge reads; only the worker's tsconfig includes this file, so
 * code also compiled for the page uses the DOM library's own definitions.
 */
type RTCPeerConnectionState = 'closed' | 'connected' | 'connecting' | 'disconnected' | 'failed' | 'new'

interface RTCIceServer {
  credential?: string
  urls: string | string[]
  username?: string
}

interface RTCConfiguration {
  iceServers?: RTCIceServer[]
}

interface RTCDataChannelInit {
  id?: number
  maxPacketLifeTime?: number
  maxRetransmits?: number
  negotiated?: boolean
  ordered?: boolean
  protocol?: string
}
