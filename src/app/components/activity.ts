/**
 * An album's activity in plain words, from its signed logs: "Alice added 12
 * photos", "Bob renamed “Dunes” to “Dunes at noon”", "Carol joined". Each
 * line's author is the log that signed the records, named as the member list
 * names it. Consecutive records of one kind by one person become one line.
 */
import type { HistoryEntryView } from '../../protocol/album-messages.ts'
import { ROLE_WORDS, type MemberRole, type MemberView } from '../../protocol/member-messages.ts'
import { count, nameOf } from './status-words.ts'

/** A role's words with their article: “a viewer”, “an admin”. */
const withArticle = (words: string): string => `${/^[aeiou]/i.test(words) ? 'an' : 'a'} ${words}`

/** One line of activity. */
export interface ActivityLine {
  readonly key: string
  readonly words: string
  readonly at: number
}

/** The collection photos live in (as the album service names it). */
const PHOTOS = 'photos'

type Step = { readonly who: string, readonly kind: 'added' | 'removed', readonly title: string } | { readonly who: string, readonly kind: 'said', readonly words: string }

/** What one record did, in steps (a record may hold several operations). */
function stepsOf (entry: HistoryEntryView, titles: Map<string, string>, name: (log: string) => string): Step[] {
  const who = name(entry.log)
  const steps: Step[] = []
  for (const op of entry.ops ?? []) {
    if (op.coll !== PHOTOS) continue
    const title = op.set?.title ?? undefined
    if (op.op === 'create') {
      steps.push({ who, kind: 'added', title: title ?? 'a photo' })
      if (title !== undefined) titles.set(op.id, title)
    } else if (op.op === 'patch' && title !== undefined) {
      const before = titles.get(op.id)
      steps.push({ who, kind: 'said', words: before === undefined ? `${who} renamed a photo to “${title}”` : `${who} renamed “${before}” to “${title}”` })
      titles.set(op.id, title)
    } else if (op.op === 'delete') {
      steps.push({ who, kind: 'removed', title: titles.get(op.id) ?? 'a photo' })
    }
  }
  for (const change of entry.acl ?? []) {
    if (change.type === 'genesis') steps.push({ who, kind: 'said', words: `${who} created the album` })
    if (change.type === 'join') steps.push({ who, kind: 'said', words: `${who} joined` })
    if (change.type === 'leave') steps.push({ who, kind: 'said', words: `${who} left` })
    if (change.type === 'invite' && change.role !== undefined) steps.push({ who, kind: 'said', words: `${who} made an invite link for ${withArticle(ROLE_WORDS[change.role as MemberRole] ?? change.role)}` })
    if (change.type === 'role' && change.member !== undefined) {
      steps.push({ who, kind: 'said', words: change.role === 'none' ? `${who} removed ${name(change.member)}` : `${who} made ${name(change.member)} ${ROLE_WORDS[change.role as MemberRole] ?? change.role}` })
    }
  }
  return steps
}

/** Activity lines, newest first, from history `entries` (any order) and the album's `members`. */
export function activityOf (entries: readonly HistoryEntryView[], members: readonly MemberView[]): ActivityLine[] {
  const byLog = new Map(members.map((m) => [m.log, m]))
  const name = (log: string): string => {
    const m = byLog.get(log)
    return m === undefined ? `someone (${log.slice(-6)})` : nameOf(m)
  }
  const titles = new Map<string, string>()
  const lines: Array<ActivityLine & { run?: { who: string, kind: 'added' | 'removed', n: number, title: string } }> = []
  const inOrder = [...entries].sort((a, b) => a.time - b.time || (a.log === b.log ? a.seq - b.seq : 0))
  for (const entry of inOrder) {
    for (const step of stepsOf(entry, titles, name)) {
      const last = lines.at(-1)
      if (step.kind === 'said') {
        lines.push({ key: `${entry.record}-${lines.length}`, words: step.words, at: entry.time })
        continue
      }
      if (last?.run !== undefined && last.run.who === step.who && last.run.kind === step.kind) {
        const run = { ...last.run, n: last.run.n + 1 }
        lines[lines.length - 1] = { key: last.key, at: entry.time, run, words: `${step.who} ${step.kind} ${count(run.n, 'photo')}` }
        continue
      }
      const run = { who: step.who, kind: step.kind, n: 1, title: step.title }
      lines.push({ key: `${entry.record}-${lines.length}`, at: entry.time, run, words: `${step.who} ${step.kind} “${step.title}”` })
    }
  }
  return lines.reverse().map(({ key, words, at }) => ({ key, words, at }))
}
