/**
 * The records of several logs in one causal order: every record after the
 * one before it in its log and after the records of other logs it names as
 * dependencies; among records free to go next, the one its writer made first.
 * What the history window does not hold (older records) imposes nothing.
 */
import type { HistoryEntryView } from '../../protocol/album-messages.ts'

/** `entries` in causal order. */
export function causalOrder (entries: readonly HistoryEntryView[]): HistoryEntryView[] {
  const byRecord = new Map(entries.map((e) => [e.record, e]))
  const byPosition = new Map(entries.map((e) => [`${e.log}/${e.seq}`, e]))
  const after = new Map<string, string[]>() // record → records that must wait for it
  const waiting = new Map<string, number>()
  for (const e of entries) {
    const before = [byPosition.get(`${e.log}/${e.seq - 1}`)?.record, ...e.deps.map((d) => byRecord.has(d.record) ? d.record : undefined)]
      .filter((r): r is string => r !== undefined)
    waiting.set(e.record, before.length)
    for (const r of before) after.set(r, [...after.get(r) ?? [], e.record])
  }
  const ready = entries.filter((e) => waiting.get(e.record) === 0)
  const out: HistoryEntryView[] = []
  while (ready.length > 0) {
    ready.sort((a, b) => b.time - a.time || b.seq - a.seq) // earliest last, taken first
    const next = ready.pop()!
    out.push(next)
    for (const r of after.get(next.record) ?? []) {
      const left = waiting.get(r)! - 1
      waiting.set(r, left)
      if (left === 0) ready.push(byRecord.get(r)!)
    }
  }
  return out
}
