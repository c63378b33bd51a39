/**
 * The simulation's commands: random ones an app would make, what the rules
 * (oracle.ts) say each must do on the replica making it, and running one
 * through the public API.
 */
import Ajv from 'ajv'
import type { Collection, Doc, KeyValue } from '../../src/core/db/index.ts'
import type { Rng } from '../helpers/seeded.ts'
import { alphabet, type Predicted, type Write } from './oracle.ts'

export const PHOTO_SCHEMA = {
  type: 'object',
  properties: {
    title: { type: 'string', minLength: 1 },
    album: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    likes: { type: 'integer', minimum: 0 },
    caption: { type: 'string' }
  },
  required: ['title']
}
/** Collections and the fields the oracle leaves to the text check. */
export const TEXT_FIELDS: Readonly<Record<string, readonly string[]>> = { photos: ['caption'], albums: [], _kv: [] }
const validPhoto = new Ajv({ strict: false }).compile(PHOTO_SCHEMA)

const IDS = ['p0', 'p1', 'p2', 'p3']
const ALBUMS = ['summer', 'winter', 'été ☀️', '🏔️']
const TAGS = ['sea', 'snow', '🐚', 'sun']

/** A command an app makes on one replica. */
export type Command =
  | { readonly kind: 'create' | 'upsert' | 'save', readonly coll: string, readonly doc: Doc, readonly caption?: number }
  | { readonly kind: 'update', readonly coll: string, readonly id: string, readonly set: Record<string, unknown> }
  | { readonly kind: 'delete', readonly coll: string, readonly id: string }
  | { readonly kind: 'text', readonly coll: string, readonly id: string, readonly edit: TextEdit }
  | { readonly kind: 'put', readonly key: string, readonly value: unknown }
  | { readonly kind: 'unput', readonly key: string }

/** A text edit in code points: inserted characters are picked from the shown life's alphabet when run. */
export type TextEdit = { readonly op: 'insert', readonly at: number, readonly picks: readonly number[] } | { readonly op: 'delete', readonly at: number, readonly count: number }

/** What the rules say a command does: an error (nothing written), or its write (none when nothing changes). */
export type Effect = { readonly error: string } | { readonly write?: Omit<Write, 'log' | 'seq' | 'sub'> }

function photo (rng: Rng, id: string): Doc {
  const doc: Record<string, unknown> = { _id: id, title: rng.chance(0.05) ? '' : rng.pick(['Beach', 'Dawn 🌅', 'Snow', 'Été']) }
  if (rng.chance(0.7)) doc.album = rng.pick(ALBUMS)
  if (rng.chance(0.5)) doc.tags = Array.from({ length: rng.int(3) }, () => rng.pick(TAGS))
  if (rng.chance(0.6)) doc.likes = rng.chance(0.05) ? -1 : rng.int(5)
  return doc as Doc
}

/** A random command (`textLength` says how long a document's caption is on the replica making it). */
export function randomCommand (rng: Rng, textLength: (id: string) => number): Command {
  const id = rng.pick(IDS)
  const roll = rng.int(20)
  if (roll < 3) return { kind: 'create', coll: 'photos', doc: photo(rng, id), caption: rng.int(4) }
  if (roll < 5) return { kind: 'upsert', coll: 'photos', doc: photo(rng, id) }
  if (roll < 6) return { kind: 'save', coll: 'photos', doc: photo(rng, id) }
  if (roll < 10) {
    const field = rng.pick(['likes', 'album', 'tags', 'title'])
    const value = field === 'likes' ? (rng.chance(0.08) ? -3 : rng.int(9)) : field === 'tags' ? [rng.pick(TAGS)] : field === 'album' ? rng.pick(ALBUMS) : rng.pick(['Sea', '🌊'])
    return { kind: 'update', coll: 'photos', id, set: { [field]: value } }
  }
  if (roll < 12) return { kind: 'delete', coll: 'photos', id }
  if (roll < 16) {
    const length = textLength(id)
    // Now and then a position past the end, which the API refuses.
    const at = rng.chance(0.05) ? length + 1 + rng.int(2) : rng.int(length + 1)
    if (length > 0 && rng.chance(0.35)) return { kind: 'text', coll: 'photos', id, edit: { op: 'delete', at: Math.min(at, length - 1), count: 1 + rng.int(Math.max(1, length - Math.min(at, length - 1))) } }
    return { kind: 'text', coll: 'photos', id, edit: { op: 'insert', at, picks: Array.from({ length: 1 + rng.int(3) }, () => rng.int(2)) } }
  }
  if (roll < 18) return { kind: 'put', key: `k${rng.int(3)}`, value: rng.chance(0.5) ? rng.int(4) : { cover: id } }
  if (roll < 19) return { kind: 'unput', key: `k${rng.int(3)}` }
  return { kind: 'upsert', coll: 'albums', doc: { _id: `a${rng.int(2)}`, cover: id } as Doc }
}

/** The document a command is about. */
export const idOf = (command: Command): string => 'id' in command ? command.id : 'doc' in command ? command.doc._id : command.key

/** Fields of a document the oracle compares: all but `_id` and text fields. */
export function plainFields (coll: string, doc: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(doc)) if (k !== '_id' && !(TEXT_FIELDS[coll] ?? []).includes(k)) out[k] = v
  return out
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)
const invalid = (coll: string, id: string, fields: Record<string, unknown>): boolean => coll === 'photos' && !validPhoto({ _id: id, ...fields })

/** What `command` must do on a replica where its document is `before`; `newLife` gives a create its life. */
export function expectedEffect (command: Command, before: Predicted, newLife: () => number, textLength: number): Effect {
  const coll = 'coll' in command ? command.coll : '_kv'
  const id = idOf(command)
  const shown = before.fields !== undefined
  const create = (fields: Record<string, unknown>): Effect =>
    invalid(coll, id, fields) ? { error: 'SchemaValidationError' } : { write: { coll, id, kind: 'create', life: newLife(), fields } }
  const replace = (fields: Record<string, unknown>): Effect => {
    const set: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(fields)) if (!same(before.fields![k], v)) set[k] = v
    const unset = Object.keys(before.fields!).filter((k) => !(k in fields))
    if (invalid(coll, id, fields)) return { error: 'SchemaValidationError' }
    return Object.keys(set).length === 0 && unset.length === 0 ? {} : { write: { coll, id, kind: 'patch', life: before.life!, set, unset } }
  }
  switch (command.kind) {
    case 'create':
      return shown ? { error: 'DocumentExistsError' } : create(plainFields(coll, command.doc))
    case 'upsert':
    case 'put': {
      const fields = command.kind === 'put' ? { value: command.value } : plainFields(coll, command.doc)
      return shown ? replace(fields) : create(fields)
    }
    case 'save':
      return shown ? replace(plainFields(coll, command.doc)) : { error: 'DocumentNotFoundError' }
    case 'update':
      if (!shown) return { error: 'DocumentNotFoundError' }
      return invalid(coll, id, { ...before.fields, ...command.set }) ? { error: 'SchemaValidationError' } : { write: { coll, id, kind: 'patch', life: before.life!, set: command.set, unset: [] } }
    case 'delete':
    case 'unput':
      if (!shown) return command.kind === 'unput' ? {} : { error: 'DocumentNotFoundError' }
      return { write: { coll, id, kind: 'delete', life: before.life! } }
    case 'text': {
      if (!shown) return { error: 'DocumentNotFoundError' }
      const { edit } = command
      const fits = edit.op === 'insert' ? edit.at <= textLength : edit.at + edit.count <= textLength
      return fits ? { write: { coll, id, kind: 'text', life: before.life! } } : { error: 'InvalidCommandError' }
    }
  }
}

/** Runs `command` through the API of a thread or a transaction; `life` is the life its text is written in. */
export async function runCommand (api: { collection(name: string): Collection, kv: KeyValue }, command: Command, life: number | undefined): Promise<void> {
  switch (command.kind) {
    case 'create': {
      // A create the rules refuse starts no life: its caption is never written.
      const caption = Array.from({ length: command.caption ?? 0 }, (_, i) => alphabet(life ?? 0)[i % 2]).join('')
      await api.collection(command.coll).create(caption === '' ? command.doc : { ...command.doc, caption })
      return
    }
    case 'upsert': await api.collection(command.coll).upsert(command.doc); return
    case 'save': await api.collection(command.coll).save(command.doc); return
    case 'update': await api.collection(command.coll).update(command.id, command.set); return
    case 'delete': await api.collection(command.coll).delete(command.id); return
    case 'put': await api.kv.put(command.key, command.value); return
    case 'unput': await api.kv.delete(command.key); return
    case 'text': {
      const { edit } = command
      await api.collection(command.coll).editText(command.id, 'caption', (text) => {
        if (edit.op === 'insert') text.insert(edit.at, edit.picks.map((p) => alphabet(life!)[p]).join(''))
        else text.delete(edit.at, edit.count)
      })
    }
  }
}
