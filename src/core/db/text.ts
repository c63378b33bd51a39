/**
 * Collaborative text fields through Yjs: each (document, field) is one Y.Doc
 * whose encoded state is kept in the view. Updates merge commutatively and
 * idempotently, so every replica holding the same updates shows the same text
 * whatever order they arrived in.
 */
import * as Y from 'yjs'

const TEXT_KEY = 'text'

function load (state: Uint8Array | undefined): Y.Doc {
  const doc = new Y.Doc()
  if (state !== undefined) Y.applyUpdate(doc, state)
  return doc
}

/** Merges a Yjs update into a stored text state; returns the new state. */
export function mergeTextUpdate (state: Uint8Array | undefined, update: Uint8Array): Uint8Array {
  const doc = load(state)
  Y.applyUpdate(doc, update)
  const merged = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return merged
}

/**
 * Whether `update` is a Yjs update that applies to an empty document. It
 * depends on the bytes alone, so a received text operation is accepted or
 * skipped alike everywhere, whatever state it later merges into.
 */
export function isTextUpdate (update: Uint8Array): boolean {
  const doc = new Y.Doc()
  try {
    Y.applyUpdate(doc, update)
    doc.getText(TEXT_KEY).toString()
    return true
  } catch {
    return false
  } finally {
    doc.destroy()
  }
}

/** The string a stored text state shows. */
export function textOf (state: Uint8Array | undefined): string {
  if (state === undefined) return ''
  const doc = load(state)
  const text = doc.getText(TEXT_KEY).toString()
  doc.destroy()
  return text
}

/**
 * Runs a local edit against the current text and returns the Yjs update it
 * produced (empty edits return undefined). `clientId` must be stable per writer
 * so concurrent edits from different writers interleave deterministically.
 */
export function editText (state: Uint8Array | undefined, clientId: number, edit: (text: Y.Text) => void): Uint8Array | undefined {
  const doc = load(state)
  doc.clientID = clientId
  const before = Y.encodeStateVector(doc)
  doc.transact(() => edit(doc.getText(TEXT_KEY)))
  const update = Y.encodeStateAsUpdate(doc, before)
  const changed = !Y.equalSnapshots(Y.snapshot(load(state)), Y.snapshot(doc))
  doc.destroy()
  return changed ? update : undefined
}

export type { Text as YText } from 'yjs'
