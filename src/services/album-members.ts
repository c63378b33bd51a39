/**
 * The album service's member requests: invites with a role, role changes,
 * removal (the database rotates the album's keys), leaving, deleting an album
 * and the display name this person uses everywhere.
 *
 * Deleting: the protocol has no "delete a thread" event, so an owner's delete
 * writes a deletion to the album (read by every member, signed by the owner),
 * removes every other member (one key rotation for all), waits until the
 * follower holds all of it, then removes the album from this device. The
 * others keep what they had, read-only, and their app says the owner deleted
 * the album. Anyone else's delete leaves (if still a member), waits likewise,
 * and removes the album from this device; the album goes on for the others.
 * Nothing leaves this device until the follower (if there is one) holds the
 * records that tell the others, so a failed delete can be tried again.
 */
import { RoleError } from '../core/errors.ts'
import { DocumentAccessError } from '../core/db/errors.ts'
import type { ThreadDatabase } from '../core/db/index.ts'
import type { RequestHandlers } from '../protocol/rpc-server.ts'
import { createInviteLink } from '../core/sync/invite.ts'
import { ROLE_WORDS } from '../protocol/member-messages.ts'
import type { AlbumPrefs } from './album-prefs.ts'
import { ALBUM_STATE } from './album-snapshot.ts'
import { AlbumNotSentError } from './errors.ts'

/** What the member requests need from the album service. */
export interface MemberHandlerDeps {
  /** The album, opened (and its sync started) on first use. */
  readonly album: (id: string) => Promise<{ readonly thread: ThreadDatabase }>
  /** Every album this device holds. */
  readonly albums: () => Promise<ReadonlyArray<{ readonly id: string, readonly name?: string }>>
  readonly prefs: AlbumPrefs
  /** After a local write: sync it now. */
  readonly wrote: (id: string) => void
  /** Whether the follower came to hold every record written here within a bounded wait (true at once without a follower). */
  readonly sent: (id: string) => Promise<boolean>
  /** Removes the album from this device: its sync stopped, its data and keys deleted. */
  readonly forget: (id: string) => Promise<void>
  /** Something about the album changed: tell the tabs following it. */
  readonly changed: (id: string) => void
}

type MemberHandlers = Pick<RequestHandlers, 'album.invite' | 'member.setRole' | 'member.remove' | 'album.leave' | 'album.delete' | 'profile.get' | 'profile.setName'>

/**
 * Runs `fn`, telling a refusal by role (RoleError), or of a change to someone
 * else's photo (DocumentAccessError), in words a person understands; refuses
 * at once when the followers refuse this log as no member.
 */
export async function asMember<T> (thread: ThreadDatabase, doing: string, fn: () => Promise<T>, refusedByFollower = false): Promise<T> {
  // The followers no longer take this log's records: a removal not received here yet. Refused here too, as the engine will once it is.
  if (refusedByFollower) throw new RoleError(`You cannot ${doing}: in this album you are no longer a member`)
  try {
    return await fn()
  } catch (error) {
    if (!(error instanceof RoleError) && !(error instanceof DocumentAccessError)) throw error
    const role = await thread.members.role()
    const standing = `in this album you are ${role === 'none' ? 'no longer a member' : `a ${ROLE_WORDS[role]}`}`
    if (error instanceof DocumentAccessError) throw new DocumentAccessError(`You cannot ${doing} that someone else added: ${standing}`, { cause: error })
    throw new RoleError(`You cannot ${doing}: ${standing}`, { cause: error })
  }
}

/** Writes this person's display name to `thread`, unless it holds it already or has no access there. */
export async function applyName (thread: ThreadDatabase, name: string | undefined): Promise<boolean> {
  if (name === undefined) return false
  const me = (await thread.members.list()).find((m) => m.log === thread.logId)
  // A joiner not admitted here yet writes it all the same: it is judged once its join is.
  if (me?.name === name || me?.role === 'none') return false
  await thread.members.setName(name)
  return true
}

/** The member request handlers. */
export function memberHandlers (deps: MemberHandlerDeps): MemberHandlers {
  const { album, prefs } = deps
  return {
    'album.invite': async ({ thread, base, role, expires, uses }) => {
      const { thread: t } = await album(thread)
      const name = (await deps.albums()).find((info) => info.id === thread)?.name
      const invite = await asMember(t, 'invite people', async () => await t.members.invite({ role, expires: expires ?? null, uses: uses ?? null }))
      // The link is handed out once the follower holds the invite record, so the joiner's follow request (its join
      // depends on the invite) is taken at once. Offline, the link still works once the follower has it.
      await deps.sent(thread)
      return { type: 'album.invited', link: createInviteLink(base, name === undefined ? invite : { ...invite, name }), role, expires: expires ?? null, uses: uses ?? null }
    },
    'member.setRole': async ({ thread, member, role }) => {
      const { thread: t } = await album(thread)
      await asMember(t, 'change roles', async () => { await t.members.setRole(member, role) })
      deps.wrote(thread)
      return { type: 'member.roleSet', member, role }
    },
    'member.remove': async ({ thread, member }) => {
      const { thread: t } = await album(thread)
      await asMember(t, 'remove people', async () => { await t.members.remove(member) })
      deps.wrote(thread)
      return { type: 'member.removed', member }
    },
    'album.leave': async ({ thread }) => {
      const { thread: t } = await album(thread)
      if (await t.members.role() !== 'none') await t.members.leave()
      await prefs.setLeft(thread)
      deps.wrote(thread)
      deps.changed(thread)
      return { type: 'album.left', thread }
    },
    'album.delete': async ({ thread }) => {
      const { thread: t } = await album(thread)
      const members = await t.members.list()
      const owner = members.find((m) => m.owner)?.log === t.logId
      if (owner) {
        if (!deletedHere(t)) await t.collection(ALBUM_STATE).create({ deleted: true, at: Date.now() })
        // One record and one key rotation for everyone, so the follower takes one new key, not one per member.
        await t.members.removeAll(members.filter((m) => !m.owner && m.role !== 'none').map((m) => m.log))
      } else if (await t.members.role() !== 'none') {
        await t.members.leave()
      }
      // Announced on the album's topic as soon as the follower has it, so the others hear at once.
      deps.wrote(thread)
      if (!await deps.sent(thread)) throw new AlbumNotSentError('The follower is out of reach, so the other members cannot be told yet; the album stays on this device. Try again when you are online.')
      await deps.forget(thread)
      return { type: 'album.deleted', thread, forEveryone: owner }
    },
    'profile.get': async () => ({ type: 'profile.got', name: await prefs.name() ?? null }),
    'profile.setName': async ({ name }) => {
      await prefs.setName(name)
      let albums = 0
      for (const { id } of await deps.albums()) {
        const { thread } = await album(id)
        if (await applyName(thread, name)) {
          albums++
          deps.wrote(id)
        }
      }
      return { type: 'profile.named', name, albums }
    }
  }
}

/** Whether this owner already wrote the album's deletion (a retried delete writes it once). */
function deletedHere (thread: ThreadDatabase): boolean {
  const state = thread.collection(ALBUM_STATE)
  return state.find({ deleted: true }).some((d) => state.creator(d._id) === thread.logId)
}
