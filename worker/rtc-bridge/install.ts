/**
 * Makes the bridged WebRTC classes the worker's globals, where the browser
 * has none (Chromium gives workers no RTCPeerConnection). Must run before
 * libp2p's WebRTC transport is loaded: it reads the globals once, at load.
 */
import { BridgedIceCandidate, BridgedSessionDescription, RemotePeerConnection } from './remote-peer-connection.ts'

/** Installs the bridge; returns whether it did (false where the browser has WebRTC of its own). */
export function installRtcBridge (): boolean {
  const scope = globalThis as Record<string, unknown>
  if (typeof scope.RTCPeerConnection === 'function') return false
  scope.RTCPeerConnection = RemotePeerConnection
  scope.RTCSessionDescription = BridgedSessionDescription
  scope.RTCIceCandidate = BridgedIceCandidate
  return true
}
