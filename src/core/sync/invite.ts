/**
 * Invites and join announcements (paper §3.2.3).
 *
 * A share link carries an invite — the thread ID, where to sync, and the key
 * set of every log (follow and read keys) — only in the URL fragment, which
 * browsers never send to a server.
 *
 * Joining creates the joiner's own log; its keys reach the other members as a
 * join announcement: the joiner's key set sealed with the read key of the log
 * that invited it (which every member holds, and no follower does), signed by
 * the joiner's new log key. Followers store and relay announcements without
 * being able to open them.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { base64url } from 'multiformats/bases/base64'
import { open, seal } from '../crypto/aead.ts'
import { verifySignature } from '../crypto/ed25519.ts'
import { BadSignatureError, ThreadsError } from '../errors.ts'
import { parseLogId, publicKeyFromLogId, type LogIdentity } from '../ids/log-id.ts'
import { parseThreadId } from '../ids/thread-id.ts'

/** A log's key set as an invite or announcement carries it. */
export interface KeySet { readonly log: string, readonly followKey: Uint8Array, readonly readKey: Uint8Array }

/** What a share link carries. */
export interface Invite {
  readonly thread: string
  readonly name?: string
  /** Multiaddrs to sync with (followers). */
  readonly addrs: readonly string[]
  readonly logs: readonly KeySet[]
}

/** A join announcement as exchanged and stored by followers. */
export interface JoinAnnouncement {
  readonly log: string
  /** The log whose read key seals the key set. */
  readonly via: string
  readonly sealed: Uint8Array
  readonly sig: Uint8Array
}

/** A share link or announcement that cannot be read. */
export class InvalidInviteError extends ThreadsError {
  static override readonly errorName = 'InvalidInviteError'
}

const isKey = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length === 32

/** The link to `base` whose fragment carries the invite. */
export function createInviteLink (base: string, invite: Invite): string {
  const value: Record<string, unknown> = { v: 1, thread: invite.thread, addrs: [...invite.addrs], logs: invite.logs.map((k) => ({ log: k.log, followKey: k.followKey, readKey: k.readKey })) }
  if (invite.name !== undefined) value.name = invite.name
  return `${base.split('#')[0]}#invite=${base64url.baseEncode(dagCbor.encode(value))}`
}

/** Reads the invite from a share link (or its fragment); anything else is InvalidInviteError. */
export function parseInviteLink (link: string): Invite {
  const code = /(?:^|[#&])invite=([A-Za-z0-9_-]+)/.exec(link)?.[1]
  if (code === undefined) throw new InvalidInviteError('this link carries no invite')
  let value: unknown
  try {
    value = dagCbor.decode(base64url.baseDecode(code))
  } catch (cause) {
    throw new InvalidInviteError('the invite in this link is damaged', { cause })
  }
  const v = value as Record<string, unknown>
  if (v === null || typeof v !== 'object' || v.v !== 1 || typeof v.thread !== 'string' || !Array.isArray(v.addrs) || !Array.isArray(v.logs) || v.logs.length === 0) {
    throw new InvalidInviteError('the invite in this link is not a version 1 invite')
  }
  try { parseThreadId(v.thread) } catch (cause) { throw new InvalidInviteError('the invite names an invalid thread', { cause }) }
  const logs = v.logs.map((k: Record<string, unknown>) => {
    if (typeof k?.log !== 'string' || !isKey(k.followKey) || !isKey(k.readKey)) throw new InvalidInviteError('the invite carries a malformed key set')
    parseLogId(k.log)
    return { log: k.log, followKey: k.followKey, readKey: k.readKey }
  })
  const addrs = v.addrs.filter((a): a is string => typeof a === 'string')
  return typeof v.name === 'string' ? { thread: v.thread, name: v.name, addrs, logs } : { thread: v.thread, addrs, logs }
}

/** The bytes a join announcement's `sig` signs. */
export const joinAnnouncementSignedBytes = (thread: string, log: string, via: string, sealed: Uint8Array): Uint8Array =>
  dagCbor.encode({ purpose: 'threads/join/v1', thread, log, via, sealed })
const signed = joinAnnouncementSignedBytes

/** Seals the joiner's key set for the members of `thread`. */
export async function createJoinAnnouncement (thread: string, joiner: LogIdentity, keys: KeySet, via: KeySet): Promise<JoinAnnouncement> {
  const sealed = seal(via.readKey, dagCbor.encode({ log: keys.log, followKey: keys.followKey, readKey: keys.readKey }))
  return { log: joiner.logId, via: via.log, sealed, sig: await joiner.signer.sign(signed(thread, joiner.logId, via.log, sealed)) }
}

/** Checks an announcement's signature (anyone can: followers do before storing it). */
export async function verifyJoinAnnouncement (thread: string, a: JoinAnnouncement): Promise<void> {
  parseLogId(a.via)
  const ok = await verifySignature(publicKeyFromLogId(a.log), a.sig, signed(thread, a.log, a.via, a.sealed))
  if (!ok) throw new BadSignatureError(`join announcement of ${a.log} is not signed by that log`)
}

/** Opens an announcement with the read key of its `via` log; the key set must be the announcing log's own. */
export async function openJoinAnnouncement (thread: string, a: JoinAnnouncement, viaReadKey: Uint8Array): Promise<KeySet> {
  await verifyJoinAnnouncement(thread, a)
  const value = dagCbor.decode(open(viaReadKey, a.sealed, `join announcement of ${a.log}`)) as Record<string, unknown>
  if (value?.log !== a.log || !isKey(value.followKey) || !isKey(value.readKey)) throw new InvalidInviteError(`join announcement of ${a.log} carries another log's keys`)
  return { log: a.log, followKey: value.followKey, readKey: value.readKey }
}
