/** `npm run bench`: every benchmark, one run, each rate beside its baseline. */
import { benchChromium } from './chromium.ts'
import { benchDatabase } from './database.ts'
import { benchJoin } from './join.ts'
import { benchFollower } from './follower.ts'
import { benchManyThreads } from './follower-many.ts'
import { benchLatency } from './latency.ts'
import { benchLogRecords } from './log-records.ts'
import { benchMediaHeap } from './media-heap.ts'
import { benchMedia } from './media.ts'
import { benchMembers } from './members.ts'
import { benchNodeDb } from './node-db.ts'
import { benchSync } from './sync.ts'
import { benchUi } from './ui.ts'

const only = process.argv[2]
const results: boolean[] = []
if (only === undefined || only === 'log') results.push(await benchLogRecords())
if (only === undefined || only === 'db') results.push(await benchDatabase())
if (only === undefined || only === 'chromium') results.push(await benchChromium())
if (only === undefined || only === 'sync') results.push(await benchSync())
if (only === undefined || only === 'members') results.push(await benchMembers())
// Media: moving an original over bitswap; joining from a snapshot is its own part (`join`).
if (only === undefined || only === 'media') results.push(await benchMedia())
if (only === undefined || only === 'media' || only === 'media-heap') results.push(await benchMediaHeap())
if (only === 'ui') results.push(await benchUi())
if (only === undefined || only === 'join') results.push(await benchJoin())
if (only === undefined || only === 'node-db') results.push(await benchNodeDb())
// Minutes each (a million records; browsers): run when named.
if (only === 'follower') results.push(await benchFollower())
if (only === 'follower-many') results.push(await benchManyThreads())
if (only === 'latency') results.push(await benchLatency())
if (only === 'sync-node') results.push(await benchSync({ chromium: false }))
if (results.includes(false)) {
  console.log('\nSome goals were not met.')
  process.exitCode = 1
}
