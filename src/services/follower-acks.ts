/**
 * Waiting, per album, until the follower holds every record written on this
 * device (its sync status says `synced` with nothing pending), within a
 * bounded time: deleting or leaving an album lets it go from the device only
 * once the records that tell the others have left it.
 */

/** Who waits for which album's records to reach the follower. */
export interface FollowerAcks {
  /** The album's sync reports the follower holds everything: wake those waiting. */
  acknowledged(album: string): void
  /** Calls `kick` (to start a sync) and resolves true once `acknowledged(album)`, or false after `timeoutMs`. */
  wait(album: string, options: { readonly kick: () => void, readonly timeoutMs: number }): Promise<boolean>
}

export function createFollowerAcks (): FollowerAcks {
  const waiting = new Map<string, Set<() => void>>()
  return {
    acknowledged (album) {
      for (const resolve of waiting.get(album) ?? []) resolve()
      waiting.delete(album)
    },
    async wait (album, { kick, timeoutMs }) {
      return await new Promise<boolean>((resolve) => {
        const done = (): void => { clearTimeout(timer); resolve(true) }
        const timer = setTimeout(() => {
          waiting.get(album)?.delete(done)
          resolve(false)
        }, timeoutMs)
        let set = waiting.get(album)
        if (set === undefined) waiting.set(album, set = new Set())
        set.add(done)
        kick()
      })
    }
  }
}
