/**
 * Which media a database event starts and stops using, for the record's
 * `attachments` and `releases` (docs/PROTOCOL.md, "Media"): a document field
 * holding a media ref (src/core/media), at the top level or inside a map or
 * list up to three levels down, references that file. What the event's
 * documents reference after it and did not before is attached; what they
 * referenced before and no longer do (a field replaced or unset, a document
 * deleted) is released. Followers keep exactly the blocks of what is attached
 * and not released, without reading a payload.
 */
import { CID } from 'multiformats/cid'
import { parseMediaRef } from '../media/format.ts'
import { visibleDoc, type DocState } from './doc-state.ts'
import type { DbEvent } from './events.ts'
import { stagedKey, type ThreadView, type ViewChange } from './view.ts'

/** How deep into a document's values media refs are looked for. */
const MAX_DEPTH = 3

/** The media an event attaches and releases. */
export interface MediaChanges {
  readonly attachments: string[]
  readonly releases: string[]
}

/**
 * Compares the media the event's documents reference before it (in `staged`
 * states where it has them, else in the view) and after it (`change`, what
 * the view computed for the event from those same states).
 */
export function mediaChanges (view: ThreadView, event: DbEvent, change: ViewChange, staged?: ReadonlyMap<string, DocState>): MediaChanges {
  const before = new Set<string>()
  const seen = new Set<string>()
  for (const op of event.ops) {
    const key = stagedKey(op.coll, op.id)
    if (seen.has(key)) continue
    seen.add(key)
    const state = staged?.get(key) ?? view.collection(op.coll).states.get(op.id)
    if (state !== undefined) collectRoots(visibleDoc(state), before, 0)
  }
  const after = new Set<string>()
  for (const { state } of change.states) collectRoots(visibleDoc(state), after, 0)
  return {
    attachments: [...after].filter((root) => !before.has(root)).sort(),
    releases: [...before].filter((root) => !after.has(root)).sort()
  }
}

/** Adds to `roots` the manifest CID of every media ref in `value`. */
function collectRoots (value: unknown, roots: Set<string>, depth: number): void {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || CID.asCID(value) !== null || depth > MAX_DEPTH) return
  if (Array.isArray(value)) {
    for (const item of value) collectRoots(item, roots, depth + 1)
    return
  }
  const map = value as Record<string, unknown>
  if ('root' in map && 'key' in map) {
    const root = mediaRootOf(map)
    if (root !== undefined) {
      roots.add(root)
      return
    }
  }
  for (const item of Object.values(map)) collectRoots(item, roots, depth + 1)
}

/** The manifest CID of a value shaped as a media ref, or undefined when it is not one. */
function mediaRootOf (value: Record<string, unknown>): string | undefined {
  try {
    return parseMediaRef(value).root.toString()
  } catch {
    // Not a media ref: a document may hold any map with fields named root and key.
    return undefined
  }
}
