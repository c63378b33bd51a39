/** The follower's libp2p key, kept in its data directory so its peer ID survives restarts. */
import { readFile, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

/** Loads the key from `dataDir`, creating it on first start. */
export async function loadNodeKey (dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, 'node-key')
  try {
    return privateKeyFromProtobuf(await readFile(path))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const key = await generateKeyPair('Ed25519')
  await writeFile(`${path}.tmp`, privateKeyToProtobuf(key), { mode: 0o600 })
  await rename(`${path}.tmp`, path)
  return key
}
