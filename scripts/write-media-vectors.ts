/**
 * Writes test/fixtures/media-v1.json from the fixed inputs in
 * test/helpers/media-vectors.ts. Run it only when the media format itself
 * changes; test/core/media/media-vectors.test.ts checks code and fixture agree.
 */
import { writeFileSync } from 'node:fs'
import { buildMediaVectors } from '../test/helpers/media-vectors.ts'

const target = new URL('../test/fixtures/media-v1.json', import.meta.url)
writeFileSync(target, JSON.stringify(await buildMediaVectors(), null, 2) + '\n')
console.log(`wrote ${target.pathname}`)
