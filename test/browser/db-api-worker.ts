/**
 * A SharedWorker that runs the database API suite over IndexedDB, where the
 * product runs it: inside a SharedWorker. It answers a "run" message with one
 * result per case.
 */
import { openIdbBackend } from '../../src/adapters/idb/index.ts'
import { apiCases, type CaseStorage } from '../db/api-cases.ts'

interface Result { name: string, ok: boolean, error?: string }

const scope = self as unknown as { onconnect: ((event: MessageEvent) => void) | null }

async function runAll (): Promise<Result[]> {
  const results: Result[] = []
  for (const c of apiCases) {
    const fresh = async (): Promise<CaseStorage> => {
      const name = `threads-api-${crypto.randomUUID()}`
      return { backend: await openIdbBackend({ name }), reopen: async () => await openIdbBackend({ name }) }
    }
    try {
      await c.run(fresh)
      results.push({ name: c.name, ok: true })
    } catch (error) {
      results.push({ name: c.name, ok: false, error: `${(error as Error).name}: ${(error as Error).message}` })
    }
  }
  return results
}

scope.onconnect = (event) => {
  const port = event.ports[0]!
  port.onmessage = async (message: MessageEvent) => {
    if (message.data === 'run') port.postMessage({ inWorker: typeof (self as unknown as { document?: unknown }).document === 'undefined', results: await runAll() })
  }
  port.start()
}
