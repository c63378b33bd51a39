/**
 * Photos being added: one row per file with where it stands, and the total.
 * Files the browser cannot read are refused one by one, in words, while the
 * rest go on.
 */
import { create } from 'zustand'
import { addPhotos, captionOf, type FileProgress } from '../client/photos.ts'
import { useAlbumStore } from './album-store.ts'

/** One file being added. */
export interface UploadRow {
  readonly name: string
  readonly progress: FileProgress
}

/** The batch being added (and the last one, until dismissed). */
export interface UploadStore {
  readonly rows: readonly UploadRow[]
  readonly done: number
  readonly running: boolean
  /** Adds `files` to album `thread`; a batch started while one runs waits for it. */
  add(thread: string, files: readonly File[]): Promise<void>
  /** Clears a finished batch from view. */
  dismiss(): void
}

let chain: Promise<unknown> = Promise.resolve()

/** How often the rows are shown again while files are added, at most (ms). */
const SHOW_EVERY_MS = 100

export const useUploadStore = create<UploadStore>()((set, get) => ({
  rows: [],
  done: 0,
  running: false,
  async add (thread, files) {
    if (files.length === 0) return
    const run = async (): Promise<void> => {
      const rows: UploadRow[] = files.map((f) => ({ name: captionOf(f), progress: { state: 'waiting' } }))
      set({ rows: rows.slice(), done: 0, running: true })
      // Reports of a moment are shown together: a few hundred files make a thousand reports, each a render of every row.
      let done = 0
      let timer: ReturnType<typeof setTimeout> | undefined
      const show = (): void => { timer = undefined; set({ rows: rows.slice(), done }) }
      await addPhotos(thread, files, ({ index, file, done: finished }) => {
        rows[index] = { name: rows[index]!.name, progress: file }
        done = finished
        timer ??= setTimeout(show, SHOW_EVERY_MS)
      })
      clearTimeout(timer)
      show()
      useAlbumStore.getState().noteAdded(rows.flatMap((r) => r.progress.state === 'added' ? [r.progress.photo] : []))
      const refused = rows.some((r) => r.progress.state === 'refused')
      // A batch that all went in clears itself; refusals stay until read and dismissed.
      set(refused ? { running: false } : { running: false, rows: [], done: 0 })
    }
    const next = chain.then(run, run)
    chain = next
    await next
  },
  dismiss () { if (!get().running) set({ rows: [], done: 0 }) }
}))
