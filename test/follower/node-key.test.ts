/** The follower's libp2p key: made once, kept readable by its owner only, the same after a restart. */
import { readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadNodeKey } from '../../follower/node-key.ts'
import { cleanupAfterAll, tempDir } from '../helpers/cleanup.ts'

const cleanup = cleanupAfterAll()

describe('the follower node key', () => {
  it('is created on first start with owner-only permissions and loaded unchanged afterwards', async () => {
    const dir = await tempDir('threads-node-key-', cleanup)
    const first = await loadNodeKey(dir)
    expect((await stat(join(dir, 'node-key'))).mode & 0o777).toBe(0o600)
    // Written through a temp file and a rename: nothing but the key is left beside it.
    expect(await readdir(dir)).toEqual(['node-key'])
    const again = await loadNodeKey(dir)
    expect(again.publicKey.equals(first.publicKey)).toBe(true)
  })

  it('refuses a key file that is not a key, rather than replacing it', async () => {
    const dir = await tempDir('threads-node-key-', cleanup)
    await writeFile(join(dir, 'node-key'), 'not a key')
    await expect(loadNodeKey(dir)).rejects.toMatchObject({ name: 'NodeKeyError' })
    expect((await stat(join(dir, 'node-key'))).size).toBe('not a key'.length)
  })
})
