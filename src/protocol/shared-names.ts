/**
 * Names shared by the page, the workers and the service worker.
 */

/**
 * The Web Lock held by whichever worker runs the background node (the
 * SharedWorker, or the leading dedicated worker): exactly one context owns the
 * database in IndexedDB at a time. The service worker takes it to flush the
 * outbox when no tab is open.
 */
export const NODE_LOCK = 'threads-node'

/** The name of the worker that runs the background node (a SharedWorker of this name is shared by every tab of the origin). */
export const NODE_WORKER_NAME = 'threads'

/** The IndexedDB database holding the background node's records, keys and views. */
export const DATABASE_NAME = 'threads'

/** The IndexedDB database holding photos' files as encrypted blocks (evicted apart from the records). */
export const MEDIA_DATABASE_NAME = 'threads-media'

/** The Background Sync tag a page registers while records wait to be sent to the follower. */
export const OUTBOX_SYNC_TAG = 'threads-outbox'

/** The follower's HTTP base URL (health, HTTP sync): `VITE_FOLLOWER_URL` at build time. */
export function followerUrl (): string {
  return (import.meta.env.VITE_FOLLOWER_URL as string | undefined) ?? 'http://127.0.0.1:4002'
}

/**
 * Takes the Web Lock `name` and holds it for as long as this context lives;
 * resolves once it is held. Another context waiting for it is granted it when
 * this one goes away, which is how the others learn that it did.
 */
export async function holdLockForLife (name: string): Promise<void> {
  await new Promise<void>((held) => {
    void navigator.locks.request(name, async () => {
      held()
      await new Promise<never>(() => {})
    })
  })
}
