/**
 * A Node program writing documents through the database API on LMDB (or SQLite), to be
 * killed by a test: `node test/helpers/db-writer-process.ts <directory> [thread] [in flight] [lmdb|lmdb-not-durable|sqlite]`
 * opens (or, without a thread, creates) a thread in the backend (durable, unless
 * named not durable) under `directory`, prints `thread <id>`, then writes 500-byte documents one at
 * a time and prints `wrote <id>` as soon as each write has resolved, until killed.
 * Writes can also go `in flight` at once (the third argument, default 1).
 */
import { createNodeSigner, nodeSha256, openLmdbBackend, openSqliteBackend } from '../../src/adapters/node/index.ts'
import { openDatabase } from '../../src/core/db/index.ts'

const [directory, given, inFlightText, kind] = process.argv.slice(2)
if (directory === undefined) throw new Error('usage: db-writer-process.ts <directory> [thread] [in flight] [lmdb|lmdb-not-durable|sqlite]')
const open = kind === 'sqlite' ? openSqliteBackend : openLmdbBackend
const db = openDatabase({ backend: await open({ directory, durable: kind !== 'lmdb-not-durable' }), signer: createNodeSigner, sha256: nodeSha256 })
const thread = given === undefined || given === '-' ? await db.createThread({ name: 'crash' }) : await db.openThread(given)
process.stdout.write(`thread ${thread.id}\n`)
const docs = thread.collection('docs')
const body = 'x'.repeat(500)
let next = 0
const lane = async (): Promise<void> => {
  for (;;) {
    const id = `${process.pid}-${next++}`
    await docs.create({ _id: id, body })
    process.stdout.write(`wrote ${id}\n`)
  }
}
await Promise.all(Array.from({ length: Number(inFlightText ?? 1) }, lane))
