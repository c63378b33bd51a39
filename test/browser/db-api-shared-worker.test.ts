/** The database API suite inside a SharedWorker in real Chromium, over IndexedDB. */
import { describe, expect, it } from 'vitest'
import { apiCases } from '../db/api-cases.ts'

interface Report { inWorker: boolean, results: Array<{ name: string, ok: boolean, error?: string }> }

describe('database API inside a SharedWorker over IndexedDB', () => {
  const report: Promise<Report> = new Promise((resolve, reject) => {
    const worker = new SharedWorker(new URL('./db-api-worker.ts', import.meta.url), { type: 'module', name: 'threads-api-suite' })
    worker.onerror = () => reject(new Error('the SharedWorker failed to start'))
    worker.port.onmessage = (event: MessageEvent<Report>) => resolve(event.data)
    worker.port.start()
    worker.port.postMessage('run')
  })

  it('runs in a worker, not the page', async () => {
    expect((await report).inWorker).toBe(true)
  })
  for (const c of apiCases) {
    it(c.name, async () => {
      const result = (await report).results.find((r) => r.name === c.name)
      expect(result, 'the worker ran this case').toBeDefined()
      expect(result!.error).toBeUndefined()
      expect(result!.ok).toBe(true)
    })
  }
})
