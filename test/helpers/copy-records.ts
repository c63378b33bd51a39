import type { ThreadDatabase } from '../../src/core/db/index.ts'

/**
 * Hands every record `from` holds to `to`, three times over: logs come in ID
 * order, so a join may come before the invite it depends on; the later
 * rounds take what an earlier one had to leave for a missing link.
 */
export async function copyRecords (from: ThreadDatabase, to: ThreadDatabase): Promise<void> {
  const records = await from.exportRecords()
  for (let round = 0; round < 3; round++) await to.ingestMany(records)
}
