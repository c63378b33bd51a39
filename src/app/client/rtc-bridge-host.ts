/**
 * The tab's side of the WebRTC bridge (see src/protocol/rtc-bridge.ts): real
 * RTCPeerConnections and data channels, created and driven by the background
 * node, whose events and bytes go back to it. The tab adds nothing of its own
 * but the STUN/TURN servers set in the app, if any (ice-settings.ts), which it
 * uses in place of the node's for each connection it creates: signalling,
 * encryption and streams all happen in the node.
 */
import { randomId } from '../../protocol/random-id.ts'
import { holdLockForLife } from '../../protocol/shared-names.ts'
import type { IceServer } from '../../protocol/ice-servers.ts'
import { tabLockName, type BridgeArgument, type BridgeCommand, type BridgeEvent, type BridgeOffer } from '../../protocol/rtc-bridge.ts'
import { savedIceServers } from './ice-settings.ts'

/**
 * Offers this tab as a carrier of the node's WebRTC connections: holds the
 * tab's life lock (so the node learns when the tab is gone), then hands the
 * node a port on which this tab serves the bridge. Does nothing where the tab
 * itself has no WebRTC.
 */
export async function offerRtcBridge (send: (offer: BridgeOffer, port: MessagePort) => void): Promise<void> {
  if (!('RTCPeerConnection' in globalThis) || !('locks' in navigator)) return
  const tab = randomId()
  // Held until the tab goes away; the offer is sent only once it is held, or the node would be granted it at once.
  await holdLockForLife(tabLockName(tab))
  const channel = new MessageChannel()
  serveRtcBridge(channel.port1, { iceServers: savedIceServers })
  send({ v: 1, type: 'rtc.bridge', tab }, channel.port2)
}

/** Options of {@link serveRtcBridge}. */
export interface RtcBridgeHostOptions {
  /** Servers to use in place of the node's, read at each new connection; undefined keeps the node's. */
  readonly iceServers?: () => readonly IceServer[] | undefined
}

/** An ICE server as RTCPeerConnection takes it. */
const rtcIceServer = (s: IceServer): RTCIceServer => ({
  urls: typeof s.urls === 'string' ? s.urls : [...s.urls],
  ...(s.username === undefined ? {} : { username: s.username }),
  ...(s.credential === undefined ? {} : { credential: s.credential })
})

/** Serves bridge commands arriving on `port` until the tab goes away. */
export function serveRtcBridge (port: MessagePort, options: RtcBridgeHostOptions = {}): void {
  const connections = new Map<number, RTCPeerConnection>()
  const channels = new Map<number, RTCDataChannel>()
  let nextIncoming = -1
  const post = (event: BridgeEvent, transfer: Transferable[] = []): void => { port.postMessage(event, transfer) }

  const wire = (dc: number, channel: RTCDataChannel): void => {
    channels.set(dc, channel)
    channel.binaryType = 'arraybuffer'
    channel.bufferedAmountLowThreshold = 0
    channel.onopen = () => { post({ ev: 'dc.open', dc, channelId: channel.id }) }
    channel.onmessage = ({ data }: MessageEvent<ArrayBuffer | string>) => {
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data).buffer : data
      post({ ev: 'dc.message', dc, data: bytes }, [bytes])
    }
    channel.onbufferedamountlow = () => { post({ ev: 'dc.sent', dc, size: 0, buffered: channel.bufferedAmount }) }
    channel.onerror = (event) => { post({ ev: 'dc.error', dc, message: (event as RTCErrorEvent).error?.message ?? 'data channel error' }) }
    channel.onclose = () => {
      channels.delete(dc)
      post({ ev: 'dc.close', dc })
    }
  }

  const call = async (pc: RTCPeerConnection, method: string, arg: BridgeArgument | undefined): Promise<BridgeArgument | undefined> => {
    switch (method) {
      case 'createOffer': return plainDescription(await pc.createOffer())
      case 'createAnswer': return plainDescription(await pc.createAnswer())
      case 'setLocalDescription': await pc.setLocalDescription(arg as RTCSessionDescriptionInit); return undefined
      case 'setRemoteDescription': await pc.setRemoteDescription(arg as RTCSessionDescriptionInit); return undefined
      case 'addIceCandidate': await pc.addIceCandidate(arg as RTCIceCandidateInit); return undefined
      default: throw new TypeError(`unknown peer connection method ${method}`)
    }
  }

  const handle = (command: BridgeCommand): void => {
    switch (command.op) {
      case 'pc.create': {
        const pc = new RTCPeerConnection({ iceServers: (options.iceServers?.() ?? command.config.iceServers).map(rtcIceServer) })
        connections.set(command.pc, pc)
        pc.onicecandidate = ({ candidate }) => { post({ ev: 'pc.candidate', pc: command.pc, candidate: candidate === null ? null : candidate.toJSON() as Record<string, unknown> }) }
        pc.onconnectionstatechange = () => {
          post({ ev: 'pc.state', pc: command.pc, state: pc.connectionState })
          if (pc.connectionState === 'closed') connections.delete(command.pc)
        }
        pc.ondatachannel = ({ channel }) => {
          const dc = nextIncoming--
          post({ ev: 'pc.datachannel', pc: command.pc, dc, label: channel.label, protocol: channel.protocol, channelId: channel.id, readyState: channel.readyState })
          wire(dc, channel)
        }
        return
      }
      case 'pc.call': {
        const pc = connections.get(command.pc)
        const reply = pc === undefined
          ? Promise.reject(new DOMException('the peer connection is closed', 'InvalidStateError'))
          : call(pc, command.method, command.arg)
        reply.then(
          (value) => { post(value === undefined ? { ev: 'pc.reply', pc: command.pc, call: command.call, ok: true } : { ev: 'pc.reply', pc: command.pc, call: command.call, ok: true, value }) },
          (error: unknown) => { post({ ev: 'pc.reply', pc: command.pc, call: command.call, ok: false, error: { name: (error as Error).name ?? 'Error', message: (error as Error).message ?? String(error) } }) }
        )
        return
      }
      case 'pc.close':
        connections.get(command.pc)?.close()
        connections.delete(command.pc)
        return
      case 'dc.create': {
        const pc = connections.get(command.pc)
        if (pc === undefined) { post({ ev: 'dc.close', dc: command.dc }); return }
        wire(command.dc, pc.createDataChannel(command.label, command.options))
        return
      }
      case 'dc.send': {
        const channel = channels.get(command.dc)
        if (channel === undefined) return
        try {
          channel.send(command.data)
          post({ ev: 'dc.sent', dc: command.dc, size: command.data.byteLength, buffered: channel.bufferedAmount })
        } catch (error) {
          post({ ev: 'dc.error', dc: command.dc, message: (error as Error).message })
        }
        return
      }
      case 'dc.close':
        channels.get(command.dc)?.close()
    }
  }

  port.onmessage = ({ data }: MessageEvent<BridgeCommand>) => { handle(data) }
  port.start()
}

const plainDescription = (description: RTCSessionDescriptionInit): BridgeArgument => ({ type: description.type, sdp: description.sdp ?? '' })
