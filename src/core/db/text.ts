/**
 * Collaborative text fields through Yjs: each (incarnation, field) is one Y.Doc
 * whose encoded state is kept in the view. Updates merge commutatively and
 * idempotently, so every replica holding the same updates shows the same text
 * whatever order they arrived in. Local edits address the text in code points
 * (Yjs counts UTF-16 units), so an edit can never split a surrogate pair.
 */
import * as Y from 'yjs'
import { InvalidCommandError } from './errors.ts'

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

/** A text field being edited. Positions and lengths count code points (an emoji is one). */
export interface TextEditor {
  /** Length in code points. */
  readonly length: number
  toString(): string
  /** Inserts `text` before the code point at `index` (0 to `length`). */
  insert(index: number, text: string): void
  /** Deletes `length` code points from `index`. */
  delete(index: number, length: number): void
}

/** The UTF-16 offset of code point `index` of `text`. */
function unitOffset (text: string, index: number): number {
  let offset = 0
  for (let i = 0; i < index; i++) offset += (text.codePointAt(offset) ?? 0) > 0xffff ? 2 : 1
  return offset
}

function codePointEditor (text: Y.Text): TextEditor {
  const lengthOf = (): number => {
    let n = 0
    for (const _ of text.toString()) n++
    return n
  }
  const position = (value: number, max: number, what: string): number => {
    if (!Number.isSafeInteger(value) || value < 0 || value > max) throw new InvalidCommandError(`text ${what} ${String(value)} is outside 0 to ${max} code points`)
    return value
  }
  return {
    get length () { return lengthOf() },
    toString: () => text.toString(),
    insert (index, value) {
      if (typeof value !== 'string') throw new InvalidCommandError('only a string can be inserted into a text field')
      const current = text.toString()
      const at = unitOffset(current, position(index, lengthOf(), 'position'))
      if (value.length > 0) text.insert(at, value)
    },
    delete (index, length) {
      const current = text.toString()
      const total = lengthOf()
      const from = position(index, total, 'position')
      const count = position(length, total - from, 'length')
      const start = unitOffset(current, from)
      const end = unitOffset(current, from + count)
      if (end > start) text.delete(start, end - start)
    }
  }
}

/**
 * Runs a local edit against the current text and returns the Yjs update it
 * produced (empty edits return undefined). `clientId` must be stable per writer
 * so concurrent edits from different writers interleave deterministically.
 */
export function editText (state: Uint8Array | undefined, clientId: number, edit: (text: TextEditor) => void): Uint8Array | undefined {
  const doc = load(state)
  doc.clientID = clientId
  const before = Y.encodeStateVector(doc)
  doc.transact(() => edit(codePointEditor(doc.getText(TEXT_KEY))))
  const update = Y.encodeStateAsUpdate(doc, before)
  const changed = !Y.equalSnapshots(Y.snapshot(load(state)), Y.snapshot(doc))
  doc.destroy()
  return changed ? update : undefined
}

/** Replaces a text's content with `value`, keeping the common prefix and suffix (in code points). */
export function replaceText (text: TextEditor, value: string): void {
  const old = [...text.toString()]
  const wanted = [...value]
  let start = 0
  while (start < old.length && start < wanted.length && old[start] === wanted[start]) start++
  let end = 0
  while (end < old.length - start && end < wanted.length - start && old[old.length - 1 - end] === wanted[wanted.length - 1 - end]) end++
  if (old.length - start - end > 0) text.delete(start, old.length - start - end)
  if (wanted.length - start - end > 0) text.insert(start, wanted.slice(start, wanted.length - end).join(''))
}
