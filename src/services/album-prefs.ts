/**
 * What this device keeps about its person across albums, next to the
 * database: the display name it uses in every album (written to each as the
 * member's own `profile` ACL change), and which albums it left (so the album
 * can say so, since the ACL alone tells "gone" apart from "removed" only by
 * who wrote the change).
 */
import type { KeyValueStore } from '../core/storage/interfaces.ts'
import { getValue, putValue } from '../core/storage/meta-values.ts'

const NAME_KEY = 'app/profile/name'
const leftKey = (thread: string): string => `app/left/${thread}`

/** The device's album preferences. */
export interface AlbumPrefs {
  name(): Promise<string | undefined>
  setName(name: string): Promise<void>
  left(thread: string): Promise<boolean>
  setLeft(thread: string): Promise<void>
  /** Forgets what is kept about an album removed from this device. */
  forget(thread: string): Promise<void>
}

/** Album preferences stored in `meta`. */
export function createAlbumPrefs (meta: KeyValueStore): AlbumPrefs {
  return {
    name: async () => await getValue<string>(meta, NAME_KEY),
    setName: async (name) => { await meta.batch([putValue(NAME_KEY, name)]) },
    left: async (thread) => await getValue<boolean>(meta, leftKey(thread)) === true,
    setLeft: async (thread) => { await meta.batch([putValue(leftKey(thread), true)]) },
    forget: async (thread) => { await meta.batch([{ type: 'delete', key: leftKey(thread) }]) }
  }
}
