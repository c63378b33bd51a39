/**
 * Finding and keeping direct peers, against a stand-in libp2p node: a dial
 * that hangs is cut and retried, a connection starts syncing the thread, and
 * presence naming someone else's addresses is not dialled; stopping releases
 * every listener and timer and ends the syncs.
 */
import { describe, expect, it, vi } from 'vitest'
import type { SyncScheduler } from '../../src/core/sync/scheduler.ts'
import { createDirectPeers, type DirectPeers, type DirectPeersOptions } from '../../src/services/direct-peers.ts'
import { encodeTopicMessage } from '../../src/services/topic-messages.ts'
import { RELAY, carrierChanges, circuit, fakeNode, newPeer, orderedPeers } from '../helpers/fake-libp2p-node.ts'
import { LOADED_MACHINE_TIMEOUT_MS } from '../helpers/timeouts.ts'

const THREAD = 'bafkthread'
/** Direct peers over a fake node, started. */
async function startPeers (options: Omit<DirectPeersOptions, 'carriers'> & { carriers?: DirectPeersOptions['carriers'] }): Promise<DirectPeers> {
  const peers = createDirectPeers({ carriers: carrierChanges(), ...options })
  await peers.start()
  return peers
}

const hangUntilAborted = async (signal: AbortSignal): Promise<void> => {
  await new Promise<void>((_resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason as Error) }) })
}

describe('direct peers', { timeout: LOADED_MACHINE_TIMEOUT_MS }, () => {
  it('cuts a dial that hangs, retries it, and syncs the thread over the connection it makes', async () => {
    const [self, other] = await orderedPeers()
    let fake: ReturnType<typeof fakeNode> | undefined
    fake = fakeNode(self, async (attempt, signal) => {
      if (attempt === 1) await hangUntilAborted(signal)
      else fake!.connect(other)
    })
    const started: string[] = []
    const peers = await startPeers({
      node: fake.node,
      onChange: () => {},
      dialTimeoutMs: 200,
      startSync: (thread, peer) => {
        started.push(`${thread} ${peer.toString()}`)
        return { kick: vi.fn(), status: vi.fn(), stop: async () => {} } as unknown as SyncScheduler
      }
    })
    peers.track(THREAD)
    peers.onTopicMessage(THREAD, other, encodeTopicMessage({ type: 'presence', addrs: [circuit(other)] }))

    await vi.waitFor(() => { expect(started).toEqual([`${THREAD} ${other.toString()}`]) }, { timeout: LOADED_MACHINE_TIMEOUT_MS / 2 })
    expect(fake.dials).toHaveLength(2)
    expect(fake.dials[0]!.signal.aborted).toBe(true) // the hanging dial was cut, not left to run
    expect(fake.dials[1]!.addrs).toEqual([circuit(other)])
    expect(peers.count(THREAD)).toBe(1)
    expect(peers.since(THREAD)).toBeGreaterThan(0)
  })

  it('counts a log as pushed here directly only while the peer that pushed it syncs the thread over an open connection', async () => {
    const [self, other] = await orderedPeers()
    const stranger = (await newPeer()).toString()
    let fake: ReturnType<typeof fakeNode> | undefined
    fake = fakeNode(self, async () => { fake!.connect(other) })
    const peers = await startPeers({ node: fake.node, onChange: () => {}, startSync: () => ({ kick: vi.fn(), status: vi.fn(), stop: async () => {} }) as unknown as SyncScheduler })
    peers.track(THREAD)
    peers.onTopicMessage(THREAD, other, encodeTopicMessage({ type: 'presence', addrs: [circuit(other)] }))
    await vi.waitFor(() => { expect(peers.count(THREAD)).toBe(1) }, { timeout: LOADED_MACHINE_TIMEOUT_MS / 2 })

    peers.pushed(THREAD, other.toString(), ['alice', 'alice'])
    peers.pushed(THREAD, stranger, ['carol']) // no direct sync with this peer: not noted
    peers.pushed('bafkuntracked', other.toString(), ['dave'])
    expect(peers.pushesAll(THREAD, ['alice'])).toBe(true)
    expect(peers.pushesAll(THREAD, ['alice', 'carol'])).toBe(false)
    expect(peers.pushesAll('bafkuntracked', ['dave'])).toBe(false)
    expect(peers.pushesAll(THREAD, [])).toBe(false)
    // The connection is gone: its pushes no longer count.
    for (const connection of fake.node.getConnections()) Object.assign(connection, { status: 'closed' })
    expect(peers.pushesAll(THREAD, ['alice'])).toBe(false)
    await peers.stop()
  })

  it('does not dial addresses that belong to someone other than the sender', async () => {
    const [self, other] = await orderedPeers()
    const stranger = await newPeer()
    const fake = fakeNode(self, async () => {})
    const peers = await startPeers({ node: fake.node, onChange: () => {}, startSync: () => { throw new Error('no sync expected') } })
    peers.track(THREAD)
    peers.onTopicMessage(THREAD, other, encodeTopicMessage({ type: 'presence', addrs: [circuit(stranger), `${RELAY}/p2p-circuit/p2p/${other.toString()}`] }))
    peers.onTopicMessage(THREAD, other, new TextEncoder().encode('{"v":1,"type":"presence","addrs":"nope"}'))
    // Then the sender's own address: messages are handled in order, so a dial to anything sent
    // before would come first. The one dial made is to the address that is the sender's.
    peers.onTopicMessage(THREAD, other, encodeTopicMessage({ type: 'presence', addrs: [circuit(other)] }))
    await vi.waitFor(() => { expect(fake.dials).not.toHaveLength(0) }, { timeout: LOADED_MACHINE_TIMEOUT_MS / 2 })
    expect(fake.dials.map((d) => d.addrs)).toEqual([[circuit(other)]])
    expect(peers.count(THREAD)).toBe(0)
  })

  it('says it is present on a tracked thread, with its own WebRTC address', async () => {
    const [self] = await orderedPeers()
    const fake = fakeNode(self, async () => {})
    const peers = await startPeers({ node: fake.node, onChange: () => {}, startSync: () => { throw new Error('no sync expected') } })
    peers.track(THREAD)
    expect(fake.published.map((m) => JSON.parse(new TextDecoder().decode(m)) as unknown)).toEqual([{ v: 1, type: 'presence', addrs: [circuit(self)] }])
  })

  it('stops once, however often asked: listeners removed, dials cut, syncs stopped, nothing tracked any more', async () => {
    const [self, other] = await orderedPeers()
    let fake: ReturnType<typeof fakeNode> | undefined
    let dialSignal: AbortSignal | undefined
    let hang = false
    fake = fakeNode(self, async (_attempt, signal) => {
      if (hang) { dialSignal = signal; await hangUntilAborted(signal) } else fake!.connect(other)
    })
    const carriers = carrierChanges()
    let stops = 0
    const peers = await startPeers({
      node: fake.node,
      carriers,
      onChange: () => {},
      dialTimeoutMs: 60_000,
      startSync: () => ({ kick: vi.fn(), status: vi.fn(), stop: async () => { stops++ } }) as unknown as SyncScheduler
    })
    expect(peers.state).toBe('running')
    peers.track(THREAD)
    peers.onTopicMessage(THREAD, other, encodeTopicMessage({ type: 'presence', addrs: [circuit(other)] }))
    await vi.waitFor(() => { expect(peers.count(THREAD)).toBe(1) }, { timeout: LOADED_MACHINE_TIMEOUT_MS / 2 })
    // A second thread whose peer's dial hangs: stopping must cut it.
    let laterPeer = await newPeer()
    while (laterPeer.toString() < self.toString()) laterPeer = await newPeer() // so this side dials at once
    hang = true
    peers.track('bafkother')
    peers.onTopicMessage('bafkother', laterPeer, encodeTopicMessage({ type: 'presence', addrs: [circuit(laterPeer)] }))
    await vi.waitFor(() => { expect(dialSignal).toBeDefined() }, { timeout: LOADED_MACHINE_TIMEOUT_MS / 2 })

    await Promise.all([peers.stop(), peers.stop()])
    await peers.stop()
    expect(peers.state).toBe('stopped')
    expect(stops).toBe(1)
    expect([...fake.listening.values()].every((n) => n === 0)).toBe(true)
    expect(carriers.listeners.size).toBe(0)
    expect(dialSignal?.aborted).toBe(true)
    // Stopped: messages and new threads are ignored, nothing more is said or dialled.
    const said = fake.published.length
    const dialled = fake.dials.length
    peers.track('bafkthird')
    peers.onTopicMessage(THREAD, other, encodeTopicMessage({ type: 'presence', addrs: [circuit(other)] }))
    expect(fake.published.length).toBe(said)
    expect(fake.dials.length).toBe(dialled)
    await expect(peers.start()).rejects.toMatchObject({ name: 'StoppedError' })
  })
})
