/**
 * Writes test/fixtures/snapshot-v1.json from test/helpers/snapshot-vectors.ts.
 * Run it only when the published-snapshot format itself changes;
 * test/core/snapshot-vectors.test.ts checks code and fixture agree.
 */
import { writeFileSync } from 'node:fs'
import { buildSnapshotVectors } from '../test/helpers/snapshot-vectors.ts'

const target = new URL('../test/fixtures/snapshot-v1.json', import.meta.url)
writeFileSync(target, JSON.stringify(await buildSnapshotVectors(), null, 2) + '\n')
console.log(`wrote ${target.pathname}`)
