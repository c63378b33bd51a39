import { ed25519 } from '@noble/curves/ed25519.js'
import { hexToBytes } from '@noble/curves/utils.js'
import { describe, expect, it } from 'vitest'
import { sha256 } from '@noble/hashes/sha2.js'
import { createNodeSigner, nodeSha256 } from '../../src/adapters/node/index.ts'
import { createSigner, verifySignature } from '../../src/core/crypto/ed25519.ts'
import { deterministicRandom } from '../../src/core/crypto/random.ts'
import { openDatabase, type DatabaseOptions } from '../../src/core/db/index.ts'
import { createMemoryBackend } from '../../src/core/storage/memory.ts'
import { deliver } from '../db/replicas.ts'

describe('Ed25519 signing through node:crypto', () => {
  it('gives RFC 8032 test 1 its signature', async () => {
    const signer = createNodeSigner(hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'))
    expect(signer.publicKey).toEqual(hexToBytes('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'))
    expect(await signer.sign(new Uint8Array())).toEqual(hexToBytes('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'))
  })

  it('signs the same bytes as WebCrypto and @noble/curves, and verifySignature accepts them', async () => {
    const random = deterministicRandom('node-signer')
    for (let i = 0; i < 20; i++) {
      const seed = random(32)
      const message = random(i * 37)
      const signature = await createNodeSigner(seed).sign(message)
      expect(signature).toEqual(await createSigner(seed).sign(message))
      expect(signature).toEqual(ed25519.sign(message, seed))
      expect(await verifySignature(createNodeSigner(seed).publicKey, signature, message)).toBe(true)
    }
  })

  it('writes records through the database that another member, signing through WebCrypto, verifies and applies', async () => {
    await expectPeerApplies({ signer: createNodeSigner })
  })
})

describe('sha2-256 through node:crypto', () => {
  it('gives the FIPS 180-2 digest of "abc" and the @noble/hashes digest of any length, as a plain Uint8Array', () => {
    expect(nodeSha256(new TextEncoder().encode('abc'))).toEqual(hexToBytes('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'))
    const random = deterministicRandom('node-sha256')
    for (const length of [0, 1, 55, 56, 63, 64, 65, 600, 70_000]) {
      const bytes = random(length)
      const digest = nodeSha256(bytes)
      expect(digest.constructor).toBe(Uint8Array)
      expect(digest).toEqual(sha256(bytes))
    }
  })

  it('hashes records through the database that another member, hashing with @noble/hashes, verifies and applies', async () => {
    await expectPeerApplies({ signer: createNodeSigner, sha256: nodeSha256, random: deterministicRandom('node-sha256-db') })
  })
})

/** Writes 30 documents through a database opened with `options`; a member on default crypto must verify and apply them all. */
async function expectPeerApplies (options: Omit<DatabaseOptions, 'backend'>): Promise<void> {
  const writer = openDatabase({ backend: createMemoryBackend(), ...options })
  const reader = openDatabase({ backend: createMemoryBackend() })
  try {
    const thread = await writer.createThread({ name: 'written in Node' })
    const joined = await reader.acceptInvite(await thread.invite({ role: 'write' }))
    await Promise.all(Array.from({ length: 30 }, async (_, i) => await thread.collection('docs').create({ _id: `d${i}`, n: i })))
    expect(await deliver(joined, await thread.exportRecords())).toEqual([])
    expect(joined.collection('docs').find({}).map((doc) => doc.n).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 30 }, (_, i) => i))
  } finally {
    await writer.close()
    await reader.close()
  }
}
