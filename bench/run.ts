/** `npm run bench`: every benchmark, one run, each rate beside its baseline. */
import { benchDatabase } from './database.ts'
import { benchLogRecords } from './log-records.ts'

const only = process.argv[2]
const results: boolean[] = []
if (only === undefined || only === 'log') results.push(await benchLogRecords())
if (only === undefined || only === 'db') results.push(await benchDatabase())
if (results.includes(false)) {
  console.log('\nSome goals were not met.')
  process.exitCode = 1
}
