/**
 * An album's activity in plain words, from what its signed records say: who
 * added photos (the log that signed each photo's record) and when, grouped
 * into runs ("Alice added 12 photos"), and who is in the album.
 */
import type { PhotoView } from '../../protocol/album-messages.ts'
import { ROLE_WORDS, type MemberView } from '../../protocol/member-messages.ts'
import { count, nameOf } from './status-words.ts'

/** One line of activity. */
export interface ActivityLine {
  readonly key: string
  readonly words: string
  /** When it happened (ms since the epoch), where known. */
  readonly at?: number
}

/** Photos added by one person within this long of each other are one line, in ms. */
const RUN_MS = 30 * 60 * 1000

/** Activity lines, newest first. */
export function activityOf (photos: readonly PhotoView[], members: readonly MemberView[]): ActivityLine[] {
  const lines: ActivityLine[] = []
  const oldestFirst = [...photos].sort((a, b) => a.addedAt - b.addedAt)
  let run: { author: string, by: string, first: number, last: number, n: number } | undefined
  const flush = (): void => {
    if (run === undefined) return
    lines.push({ key: `${run.author}-${run.first}`, words: `${run.by} added ${count(run.n, 'photo')}`, at: run.last })
  }
  for (const p of oldestFirst) {
    if (run !== undefined && run.author === p.author && p.addedAt - run.last <= RUN_MS) {
      run.n++
      run.last = p.addedAt
      continue
    }
    flush()
    run = { author: p.author, by: p.by, first: p.addedAt, last: p.addedAt, n: 1 }
  }
  flush()
  lines.reverse()
  for (const m of members) {
    const role = m.owner ? 'created the album' : m.role === 'none' ? 'is no longer in the album' : `joined as ${ROLE_WORDS[m.role]}`
    lines.push({ key: `member-${m.log}`, words: `${nameOf(m)}${m.you ? ' (you)' : ''} ${role}` })
  }
  return lines
}
