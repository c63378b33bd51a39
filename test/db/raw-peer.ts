/**
 * A peer that writes any payload it likes to its own log of a thread, as an
 * older, newer or careless implementation could: its records are well signed
 * and chained, so the log layer accepts them whatever they hold.
 */
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { deterministicRandom } from '../../src/core/crypto/random.ts'
import type { Operation } from '../../src/core/db/events.ts'
import type { LogGrant, RecordEnvelope } from '../../src/core/db/index.ts'
import { writerFixture } from '../helpers/log-fixture.ts'

/** A raw writer of one log. */
export interface RawPeer {
  /** The keys members add with `addLog`. */
  readonly grant: LogGrant
  /** Appends `payload` as the log's next record and returns it as sync would hand it over. */
  append(payload: unknown): Promise<RecordEnvelope>
  /** Every record of the log, oldest first. */
  records(): Promise<RecordEnvelope[]>
}

/** A raw peer of `thread`, its keys derived from `seed`. */
export function rawPeer (thread: string, seed: string): RawPeer {
  const peer = writerFixture(thread, deterministicRandom(seed))
  const log = peer.identity.logId
  const envelope = async (record: string): Promise<RecordEnvelope> => ({ log, record, blocks: await peer.store.recordBlocks(record, peer.followKey, { thread }) })
  return {
    grant: { log, followKey: peer.followKey, readKey: peer.readKey },
    async append (payload) {
      return await envelope((await peer.writer.append(payload)).record)
    },
    async records () {
      const head = await peer.store.head(thread, log)
      const out: RecordEnvelope[] = []
      for (let seq = 1; head !== undefined && seq <= head.seq; seq++) out.push(await envelope((await peer.store.recordAt(thread, log, seq))!))
      return out
    }
  }
}

/** A database event payload (see docs/PROTOCOL.md, "Database events"). */
export function dbEvent (clock: number, ...ops: Operation[]): { v: 2, type: 'db', clock: number, ops: Operation[] } {
  return { v: 2, type: 'db', clock, ops }
}

/** An incarnation ID named by a readable label (writers pick random ones; any 1 to 32 bytes are valid). */
export const inc = (label: string): Uint8Array => utf8ToBytes(label)
