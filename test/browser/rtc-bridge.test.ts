/**
 * The WebRTC bridge in real Chromium: peer connections driven through the
 * worker-side stand-ins, carried by a "tab" (the page's own bridge host over a
 * MessageChannel) that holds its life lock. Two of them connect to each other,
 * carry bytes both ways with backpressure accounted for, and are reported
 * closed, channels and all, as soon as the tab's lock is released.
 */
import { describe, expect, it, vi } from 'vitest'
import { serveRtcBridge } from '../../src/app/client/rtc-bridge-host.ts'
import { tabLockName } from '../../src/protocol/rtc-bridge.ts'
import { carriers } from '../../worker/rtc-bridge/carriers.ts'
import type { RemoteDataChannel } from '../../worker/rtc-bridge/remote-data-channel.ts'
import { RemotePeerConnection } from '../../worker/rtc-bridge/remote-peer-connection.ts'

/** Holds a tab's life lock and offers its bridge; returns how to "close the tab". */
async function openTab (): Promise<() => void> {
  const tab = crypto.randomUUID()
  let close!: () => void
  await new Promise<void>((held) => {
    void navigator.locks.request(tabLockName(tab), async () => {
      held()
      await new Promise<void>((resolve) => { close = resolve })
    })
  })
  const channel = new MessageChannel()
  serveRtcBridge(channel.port1)
  carriers.add(tab, channel.port2)
  return close
}

const opened = async (channel: RemoteDataChannel): Promise<void> => {
  if (channel.readyState !== 'open') await new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }))
}

describe('WebRTC bridge', () => {
  it('fails a connection when no tab can carry it, in words', async () => {
    const pc = new RemotePeerConnection({ iceServers: [] })
    await vi.waitFor(() => { expect(pc.connectionState).toBe('failed') })
    expect(() => pc.createDataChannel('x')).toThrow(expect.objectContaining({ name: 'NoBridgeError', message: expect.stringContaining('No open tab') }))
  })

  it('connects two bridged peers, carries bytes both ways, and closes everything when the tab goes', { timeout: 30_000 }, async () => {
    const closeTab = await openTab()
    const a = new RemotePeerConnection({ iceServers: [] })
    const b = new RemotePeerConnection({ iceServers: [] })
    a.onicecandidate = (event) => { const c = (event as Event & { candidate: unknown }).candidate; if (c !== null) void b.addIceCandidate(c as Record<string, unknown>) }
    b.onicecandidate = (event) => { const c = (event as Event & { candidate: unknown }).candidate; if (c !== null) void a.addIceCandidate(c as Record<string, unknown>) }
    const incoming = new Promise<RemoteDataChannel>((resolve) => {
      b.addEventListener('datachannel', (event) => { resolve((event as Event & { channel: RemoteDataChannel }).channel) })
    })
    const fromA = a.createDataChannel('bytes')
    const offer = await a.createOffer() as { type: string, sdp: string }
    await a.setLocalDescription(offer)
    await b.setRemoteDescription(offer)
    const answer = await b.createAnswer() as { type: string, sdp: string }
    await b.setLocalDescription(answer)
    await a.setRemoteDescription(answer)
    await opened(fromA)
    const atB = await incoming
    await opened(atB)
    // Chromium may fire a channel's open before its connection's state change to connected; both come.
    await vi.waitFor(() => { expect(a.connectionState).toBe('connected') })
    expect(fromA.id).not.toBeNull()

    // 1 MiB in 16 KiB messages from A; what B receives is the same bytes, in order.
    const received: Uint8Array[] = []
    atB.onmessage = (event) => { received.push(new Uint8Array(event.data as ArrayBuffer)) }
    const sent = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff)
    let drained = 0
    fromA.onbufferedamountlow = () => { drained++ }
    for (let at = 0; at < sent.length; at += 16 * 1024) fromA.send(sent.subarray(at, at + 16 * 1024))
    expect(fromA.bufferedAmount).toBeGreaterThan(0) // counted until the tab says it left
    await vi.waitFor(() => { expect(received.reduce((n, r) => n + r.length, 0)).toBe(sent.length) }, { timeout: 20_000 })
    const joined = new Uint8Array(sent.length)
    let offset = 0
    for (const part of received) { joined.set(part, offset); offset += part.length }
    expect(joined).toEqual(sent)
    await vi.waitFor(() => { expect(fromA.bufferedAmount).toBe(0) })
    expect(drained).toBeGreaterThan(0)

    // And back.
    const back = new Promise<string>((resolve) => { fromA.onmessage = (event) => { resolve(new TextDecoder().decode(event.data as ArrayBuffer)) } })
    atB.send(new TextEncoder().encode('thanks'))
    expect(await back).toBe('thanks')

    // The tab goes: both connections and their channels are closed, and say so.
    const states: string[] = []
    a.addEventListener('connectionstatechange', () => { states.push(a.connectionState) })
    const closed = new Promise((resolve) => fromA.addEventListener('close', resolve, { once: true }))
    closeTab()
    await closed
    expect(states).toEqual(['closed'])
    expect([a.connectionState, b.connectionState, fromA.readyState, atB.readyState]).toEqual(['closed', 'closed', 'closed', 'closed'])
    expect(() => { fromA.send(new Uint8Array(1)) }).toThrow(expect.objectContaining({ name: 'InvalidStateError' }))
  })
})
