/**
 * The published-snapshot test vectors (docs/PROTOCOL.md, "Published
 * snapshots"): one snapshot built from fixed inputs, with the bytes of every
 * block, so another implementation can check its encoding, sealing, CIDs and
 * signature against them. Written by scripts/write-snapshot-vectors.ts;
 * test/core/snapshot-vectors.test.ts holds code and fixture to each other.
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import { epochKeyId } from '../../src/core/acl/epoch-keys.ts'
import { threadIdForGenesis } from '../../src/core/acl/genesis.ts'
import { deterministicRandom } from '../../src/core/crypto/random.ts'
import type { DocState } from '../../src/core/db/doc-state.ts'
import { createPublishedSnapshot } from '../../src/core/db/published-snapshot.ts'
import { logIdentityFromSeed } from '../../src/core/ids/log-id.ts'
import { encodeBlock } from '../../src/core/log/blocks.ts'

const bytes = (length: number, first: number): Uint8Array => Uint8Array.from({ length }, (_, i) => first + i)
const filled = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value)

/** The inputs, and the snapshot they make, hex-encoded. */
export async function buildSnapshotVectors () {
  const identity = logIdentityFromSeed(bytes(32, 0x00))
  const nonce = bytes(16, 0x01)
  const thread = threadIdForGenesis(identity.logId, nonce).toString()
  const followKey = filled(32, 0xf0)
  const readKey = filled(32, 0xe0)
  const keyId = epochKeyId(followKey)
  // A record ID to cover: the CID of the dag-cbor text "a2" (no record is needed to check the encoding).
  const record = encodeBlock('a2').cid
  const inc = 'aa'.repeat(16)
  const photo = (id: string, title: string, seq: number): readonly [string, DocState] => ['photos', {
    id,
    current: inc,
    incarnations: { [inc]: { created: [seq, identity.logId, seq, 0], deleted: false, latest: [seq, identity.logId, seq, 0], fields: { title: { ver: [seq, identity.logId, seq, 0], value: title } }, text: {} } }
  }]
  const states = [photo('p1', 'beach', 2), photo('p2', 'dunes', 2)]
  const bundle = await createPublishedSnapshot({
    thread,
    identity,
    epoch: { keyId, readKey },
    states,
    clock: 2,
    positions: [{ log: identity.logId, seq: 2, record }],
    acl: [],
    time: 1_700_000_000_000,
    random: deterministicRandom('threads/v3/snapshot-vectors')
  })
  return {
    inputs: { seed: bytesToHex(bytes(32, 0x00)), genesisNonce: bytesToHex(nonce), followKey: bytesToHex(followKey), readKey: bytesToHex(readKey), random: 'deterministicRandom("threads/v3/snapshot-vectors")' },
    thread,
    log: identity.logId,
    keyId: bytesToHex(keyId),
    covered: { log: identity.logId, seq: 2, record },
    root: { cid: bundle.root.cid, bytes: bytesToHex(bundle.root.bytes) },
    blocks: bundle.blocks.map((b) => ({ cid: b.cid, bytes: bytesToHex(b.bytes) }))
  }
}
