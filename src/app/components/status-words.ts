/** An album's sync and a person's standing, in the words the album uses. */
import type { SyncView } from '../../protocol/album-messages.ts'
import type { AccessView, MemberView } from '../../protocol/member-messages.ts'

// Formatters made once: toLocaleString makes one per call, which costs milliseconds in a list of hundreds.
const numbers = new Intl.NumberFormat()
const dates = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })
const datesWithYear = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' })

/** "1 photo", "12 photos". */
export const count = (n: number, one: string, many = `${one}s`): string => `${numbers.format(n)} ${n === 1 ? one : many}`

const waiting = (pending: number): string => `${count(pending, 'change')} waiting to send`

/** The album's sync in words: "Up to date", "3 changes waiting to send", "Offline: changes are kept here". */
export function syncWords (sync: SyncView): string {
  const parts: string[] = []
  switch (sync.state) {
    case 'synced':
      parts.push(sync.pending > 0
        ? waiting(sync.pending)
        : sync.followers !== undefined && sync.followers.total > 1 && sync.followers.synced < sync.followers.total
          ? `Up to date with ${sync.followers.synced} of ${sync.followers.total} backup servers`
          : 'Up to date')
      break
    case 'syncing': {
      const p = sync.progress
      parts.push(p === undefined || p.total === 0 ? 'Syncing…' : `Syncing: ${p.phase === 'pull' ? 'received' : 'sent'} ${numbers.format(p.done)} of ${numbers.format(p.total)}`)
      if (sync.pending > 0) parts.push(waiting(sync.pending))
      break
    }
    case 'offline':
      parts.push('Offline: changes are kept here')
      if (sync.pending > 0) parts.push(waiting(sync.pending))
      break
    case 'no-follower':
      parts.push('No backup server reachable: photos stay on this device')
      break
    case 'idle':
      parts.push('Getting ready to sync…')
  }
  if (sync.direct > 0) {
    const since = sync.directSince === undefined ? '' : ` since ${new Date(sync.directSince).toLocaleTimeString()}`
    parts.push(`connected directly to ${sync.direct === 1 ? '1 person' : `${sync.direct} people`}${since}`)
  }
  return parts.join(' · ')
}

/** What a person without full access is told, by their standing. */
export const ACCESS_WORDS: { readonly [S in AccessView['state']]?: string } = {
  joining: 'Joining: waiting for the album to arrive…',
  removed: 'You no longer have access to this album: you were removed. What you had stays here, read-only; nothing added from now on reaches you.',
  left: 'You left this album. What you had stays here, read-only; nothing added from now on reaches you.',
  deleted: 'The owner deleted this album, so you no longer have access to it. What you had stays here, read-only.'
}

/** A member's name, or the end of their key where they gave none. */
export const nameOf = (m: MemberView): string => m.name ?? `someone (${m.log.slice(-6)})`

/** "3 Dec, 14:05". */
export const when = (ms: number): string => (new Date(ms).getFullYear() === new Date().getFullYear() ? dates : datesWithYear).format(ms)
