/** `npm run bench`: every benchmark, one run, each rate beside its baseline. */
import { benchChromium } from './chromium.ts'
import { benchDatabase } from './database.ts'
import { benchLogRecords } from './log-records.ts'
import { benchMediaHeap } from './media-heap.ts'
import { benchMedia } from './media.ts'
import { benchMembers } from './members.ts'
import { benchSync } from './sync.ts'

const only = process.argv[2]
const results: boolean[] = []
if (only === undefined || only === 'log') results.push(await benchLogRecords())
if (only === undefined || only === 'db') results.push(await benchDatabase())
if (only === undefined || only === 'chromium') results.push(await benchChromium())
if (only === undefined || only === 'sync') results.push(await benchSync())
if (only === undefined || only === 'members') results.push(await benchMembers())
// Media: moving an original over bitswap, and the worker's heap while browsing; the join-from-snapshot figures belong beside them here.
if (only === undefined || only === 'media') results.push(await benchMedia())
if (only === undefined || only === 'media' || only === 'media-heap') results.push(await benchMediaHeap())
if (only === 'sync-node') results.push(await benchSync({ chromium: false }))
if (results.includes(false)) {
  console.log('\nSome goals were not met.')
  process.exitCode = 1
}
