/**
 * Writes test/fixtures/protocol-v3.json from the fixed inputs of
 * test/helpers/protocol-vectors.ts. Run it only when the format itself
 * changes; the vectors test then checks code, fixture and PROTOCOL.md agree.
 */
import { writeFileSync } from 'node:fs'
import { buildProtocolVectors } from '../test/helpers/protocol-vectors.ts'

const target = new URL('../test/fixtures/protocol-v3.json', import.meta.url)
writeFileSync(target, JSON.stringify(await buildProtocolVectors(), null, 2) + '\n')
console.log(`wrote ${target.pathname}`)
