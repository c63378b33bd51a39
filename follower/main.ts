/** `node follower/main.ts [--port N] [--http-port N] [--data DIR] [--announce ADDRS]`: runs a follower until SIGTERM or SIGINT. */
import { readConfig } from './config.ts'
import { startFollower } from './follower.ts'

const config = readConfig(process.argv.slice(2), process.env)
const follower = await startFollower(config)

let stopping = false
const stop = (signal: string): void => {
  if (stopping) return
  stopping = true
  console.log(`${signal}: stopping`)
  follower.stop().then(() => process.exit(0), (error: Error) => {
    console.error(`could not stop cleanly: ${error.message}`)
    process.exit(1)
  })
}
process.on('SIGTERM', () => { stop('SIGTERM') })
process.on('SIGINT', () => { stop('SIGINT') })
// Printed once a signal stops it cleanly: whoever waits for these lines (npm start, the tests) may send one at once.
console.log(`Threads follower ${follower.node.peerId.toString()}`)
for (const addr of follower.multiaddrs) console.log(`listening on ${addr}`)
console.log(`health and HTTP sync at ${follower.httpUrl}`)
console.log(`data in ${config.dataDir}`)
