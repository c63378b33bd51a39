/**
 * The clients of the follower benchmark, in a process of their own so that
 * what they cost is not charged to the follower's answers as seen from the
 * benchmark (its `/health` probe runs in the parent, which is otherwise
 * idle). `node bench/follower-clients.ts <input> <output>`: reads the clients'
 * pushes, encoded up front (input: dag-cbor {@link ClientsInput}), starts
 * and connects the libp2p clients, opens one HTTP connection per HTTP client, prints `ready`, waits for a line on stdin,
 * runs every client at once (or one after another with `sequential`), writes
 * what each saw to `<output>` as JSON ({@link ClientsOutput}) and exits.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import * as dagCbor from '@ipld/dag-cbor'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { startSyncPeer, type SyncPeer } from '../src/adapters/libp2p/peer.ts'
import { libp2pSessionTransport } from '../src/adapters/libp2p/sync-session.ts'
import { pushLog, type ClientResult, type EncodedPush, type SendEncoded } from './follower-load.ts'
import { httpSender } from './http-sender.ts'

const DIAL_ATTEMPTS = 5

/** What the parent hands over. */
export interface ClientsInput {
  readonly httpUrl: string
  readonly multiaddr: string
  /** The first this many clients speak libp2p, the rest HTTP. */
  readonly libp2pClients: number
  /** How long the clients may take, in milliseconds. */
  readonly limitMs: number
  readonly sequential: boolean
  readonly clients: ReadonlyArray<readonly EncodedPush[]>
}

/** What the clients saw (maps as entry lists) and how long they took. */
export interface ClientsOutput {
  readonly seconds: number
  /** CPU seconds (user and system) the clients used while pushing. */
  readonly cpuSeconds: number
  readonly clients: Array<Omit<ClientResult, 'refusals' | 'failures'> & { refusals: Array<[string, number]>, failures: Array<[string, number]> }>
}

/** The results as the parent uses them. */
export function readClientsOutput (output: ClientsOutput): { seconds: number, cpuSeconds: number, clients: ClientResult[] } {
  return { seconds: output.seconds, cpuSeconds: output.cpuSeconds, clients: output.clients.map((c) => ({ ...c, refusals: new Map(c.refusals), failures: new Map(c.failures) })) }
}

/** Dials the follower, again after a failed handshake (on a loaded machine one can outlast libp2p's upgrade timeout). */
async function connect (peer: SyncPeer, address: Multiaddr): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await peer.node.dial(address, { signal: AbortSignal.timeout(60_000) })
      return
    } catch (error) {
      if (attempt >= DIAL_ATTEMPTS) throw error
    }
  }
}

async function main (inputPath: string, outputPath: string): Promise<void> {
  const input = dagCbor.decode(await readFile(inputPath)) as ClientsInput
  const peers: SyncPeer[] = []
  const closers: Array<() => void> = []
  try {
    for (let i = 0; i < input.libp2pClients; i++) peers.push(await startSyncPeer())
    // Clients connect before the pushes start, a few at a time, so the phase measures pushes, not a storm of handshakes.
    const address = multiaddr(input.multiaddr)
    let next = 0
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < peers.length) await connect(peers[next++]!, address)
    }))
    // libp2p clients push over sync sessions, as the app's worker does with its followers.
    const opening: Array<Promise<void>> = []
    const senders: SendEncoded[] = input.clients.map((_c, i) => {
      if (i >= peers.length) {
        const http = httpSender(input.httpUrl)
        closers.push(http.close)
        opening.push(http.open())
        return http.send
      }
      const transport = libp2pSessionTransport(peers[i]!.node, address)
      return async (bytes, options) => await transport.send(bytes, options)
    })
    // HTTP clients open their connections before the pushes start too, one each, kept alive for the next request:
    // opened at the start by all at once, they were accepted over the first ~15 s of a loaded phase, and those
    // waits (up to 15 s, counted in the push latencies, where the follower's own stage times stayed under 1.5 s)
    // measured a storm of connections rather than pushes.
    await Promise.all(opening)
    console.log('ready')
    await once(process.stdin, 'data')
    const start = performance.now()
    const cpuAtStart = process.cpuUsage()
    const deadline = start + input.limitMs
    const results: ClientResult[] = []
    if (input.sequential) {
      for (const [i, pushes] of input.clients.entries()) results.push(await pushLog(senders[i]!, pushes, deadline, start))
    } else {
      results.push(...await Promise.all(input.clients.map(async (pushes, i) => await pushLog(senders[i]!, pushes, deadline, start))))
    }
    const seconds = (performance.now() - start) / 1000
    const cpu = process.cpuUsage(cpuAtStart)
    const output: ClientsOutput = { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, clients: results.map((r) => ({ ...r, refusals: [...r.refusals], failures: [...r.failures] })) }
    await writeFile(outputPath, JSON.stringify(output))
  } finally {
    for (const close of closers) close()
    await Promise.all(peers.map(async (peer) => { await peer.stop() }))
  }
}

if (import.meta.filename === process.argv[1]) {
  await main(process.argv[2]!, process.argv[3]!)
  process.exit(0)
}
