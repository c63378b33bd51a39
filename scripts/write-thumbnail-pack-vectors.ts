/**
 * Writes test/fixtures/thumbnail-pack-v1.json from the fixed inputs in
 * test/helpers/thumbnail-pack-vectors.ts. Run it only when the thumbnail pack
 * format itself changes; test/core/media/thumbnail-pack-vectors.test.ts checks
 * code and fixture agree.
 */
import { writeFileSync } from 'node:fs'
import { buildThumbnailPackVectors } from '../test/helpers/thumbnail-pack-vectors.ts'

const target = new URL('../test/fixtures/thumbnail-pack-v1.json', import.meta.url)
writeFileSync(target, JSON.stringify(await buildThumbnailPackVectors(), null, 2) + '\n')
console.log(`wrote ${target.pathname}`)
