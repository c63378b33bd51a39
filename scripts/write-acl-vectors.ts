/**
 * Writes test/fixtures/acl-v3.json from the deterministic scenario of
 * test/helpers/acl-vectors.ts. Run it only when the access-control format
 * itself changes; test/core/acl/vectors.test.ts checks code and fixture agree.
 */
import { writeFileSync } from 'node:fs'
import { buildAclVectors } from '../test/helpers/acl-vectors.ts'

const target = new URL('../test/fixtures/acl-v3.json', import.meta.url)
writeFileSync(target, JSON.stringify(await buildAclVectors(), null, 2) + '\n')
console.log(`wrote ${target.pathname}`)
