/** `npm run bench`: every benchmark, one run, each rate beside its baseline. */
import { benchLogRecords } from './log-records.ts'

const results = [await benchLogRecords()]
if (results.includes(false)) {
  console.log('\nSome goals were not met.')
  process.exitCode = 1
}
