/** The follower's libp2p key, kept in its data directory so its peer ID survives restarts. */
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { readFileIfExists, writeFileAtomic } from '../src/adapters/node/atomic-files.ts'

/** Loads the key from `dataDir`, creating it on first start (readable by its owner only). */
export async function loadNodeKey (dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, 'node-key')
  const stored = await readFileIfExists(path)
  if (stored !== undefined) return privateKeyFromProtobuf(stored)
  const key = await generateKeyPair('Ed25519')
  await writeFileAtomic(path, privateKeyToProtobuf(key), { durable: true, mode: 0o600 })
  return key
}
