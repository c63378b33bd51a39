/** The follower's libp2p key, kept in its data directory so its peer ID survives restarts. */
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { readFileIfExists, writeFileAtomic } from '../src/adapters/node/atomic-files.ts'
import { ThreadsError } from '../src/core/errors.ts'

/** The node key file is there but does not hold a libp2p private key. */
export class NodeKeyError extends ThreadsError {
  static override readonly errorName = 'NodeKeyError'
}

/** Loads the key from `dataDir`, creating it on first start (readable by its owner only). */
export async function loadNodeKey (dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, 'node-key')
  const stored = await readFileIfExists(path)
  if (stored !== undefined) {
    try {
      return privateKeyFromProtobuf(stored)
    } catch (cause) {
      // Never replaced silently: a new key is a new peer ID, which every browser would have to learn.
      throw new NodeKeyError(`${path} does not hold a libp2p private key; move it aside to start with a new one (a new peer ID)`, { cause })
    }
  }
  const key = await generateKeyPair('Ed25519')
  await writeFileAtomic(path, privateKeyToProtobuf(key), { durable: true, mode: 0o600 })
  return key
}
