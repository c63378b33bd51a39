/**
 * For tests: a bare single writer of one log, without a database (the
 * product appends through the database's dispatcher). Every append goes through the record store's
 * queue for this log, so records get consecutive sequence numbers and each
 * links the one before, however many callers append at once.
 */
import type { RandomSource } from '../../src/core/crypto/random.ts'
import type { LogIdentity } from '../../src/core/ids/log-id.ts'
import type { StoreCallOptions } from '../../src/core/storage/interfaces.ts'
import { headerKeyOf, sealEvent, signRecord, type SealingEpoch } from '../../src/core/log/create-record.ts'
import type { Dependency, RecordKind } from '../../src/core/log/record-format.ts'
import type { CommitHook, IngestResult, RecordStore } from '../../src/core/log/record-store.ts'

/** Options of one append. */
export interface AppendOptions extends StoreCallOptions {
  /** Derived writes committed atomically with the record (see CommitHook). */
  readonly hook?: CommitHook
  /** Records of other logs this event depends on. */
  readonly deps?: readonly Dependency[]
  /** Creation time in ms since the epoch; defaults to the writer's clock. */
  readonly time?: number
  /** "data" (default) or "acl". */
  readonly kind?: RecordKind
}

/** Appends events to one log. */
export interface LogWriter {
  readonly thread: string
  readonly logId: string
  append(payload: unknown, options?: AppendOptions): Promise<IngestResult>
}

/** A writer for `identity`'s log in `thread`. */
export function createLogWriter (input: {
  readonly thread: string
  readonly identity: LogIdentity
  /** The epoch whose keys seal every record (the read key is needed for "data" records). */
  readonly epoch: SealingEpoch & { readonly readKey?: Uint8Array }
  readonly store: RecordStore
  readonly random?: RandomSource
  readonly now?: () => number
}): LogWriter {
  const now = input.now ?? Date.now
  return {
    thread: input.thread,
    logId: input.identity.logId,
    async append (payload, options = {}) {
      // Sealed before queueing: encryption of this event overlaps the signing of the one before.
      const kind = options.kind ?? 'data'
      const event = sealEvent({ headerKey: headerKeyOf(input.epoch, kind), payload, time: options.time ?? now(), random: input.random })
      return await input.store.appendOwn(input.thread, input.identity.logId, async (prev) => await signRecord({
        thread: input.thread,
        identity: input.identity,
        epoch: input.epoch,
        kind,
        event,
        prev: prev === null ? null : { record: prev.record, seq: prev.seq },
        deps: options.deps,
        random: input.random
      }), options)
    }
  }
}
