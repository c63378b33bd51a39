/**
 * The album's recent history, read by the node from the signed logs
 * (`album.history`). Read again when the node says the album changed (never
 * polled), at most once every second or so, so a burst of sync progress costs
 * one read.
 */
import { create } from 'zustand'
import type { HistoryEntryView } from '../../protocol/album-messages.ts'
import { nodeRpc } from '../client/current-node.ts'
import { pageFailureLog } from '../client/log.ts'

/** How long after a change the history is read, so changes that come together are read once (ms). */
const SETTLE_MS = 1000

export interface HistoryStore {
  readonly thread: string | undefined
  readonly entries: readonly HistoryEntryView[]
  /** The album `thread` changed (or was opened): read its history soon. */
  changed(thread: string): void
}

const log = pageFailureLog('history')
let timer: ReturnType<typeof setTimeout> | undefined

export const useHistoryStore = create<HistoryStore>()((set, get) => ({
  thread: undefined,
  entries: [],
  changed (thread) {
    if (get().thread !== thread) set({ thread, entries: [] })
    if (timer !== undefined) return
    timer = setTimeout(() => {
      timer = undefined
      nodeRpc().request({ type: 'album.history', thread }, { timeoutMs: 30_000 }).then(({ entries }) => {
        if (get().thread === thread) set({ entries })
      }, (error: unknown) => { log(`reading the history of ${thread}`, error) })
    }, SETTLE_MS)
  }
}))
