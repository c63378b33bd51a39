/**
 * Members of an album through the album service, as tabs meet it (over a
 * MessageChannel), on memory storage with a memory follower behind the
 * loopback transport: invites with a role, names from each member's signed
 * profile shown as photos' authors, a viewer refused, removal that keeps the
 * removed member's photos on its device and keeps later ones from it, leaving,
 * and deleting an album for everyone or for oneself.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AlbumSnapshot } from '../../src/protocol/album-messages.ts'
import type { NodeEvent } from '../../src/protocol/messages.ts'
import { startAlbumNode, type AlbumNode } from '../helpers/album-node.ts'
import { memoryFollower } from '../helpers/memory-follower.ts'
import { memoryTopicBus } from '../helpers/memory-topics.ts'

const WAIT = { timeout: 30_000, interval: 20 }
const BASE = 'http://127.0.0.1:4173/'
const nodes: AlbumNode[] = []
afterEach(async () => { for (const node of nodes.splice(0)) await node.close() })

/** Three people's nodes on one follower and one topic bus. */
async function people (count: number): Promise<{ follower: ReturnType<typeof memoryFollower>, nodes: AlbumNode[] }> {
  const follower = memoryFollower()
  const bus = memoryTopicBus()
  const started: AlbumNode[] = []
  for (let i = 0; i < count; i++) {
    const node = await startAlbumNode({ follower: follower.transport, topics: bus.join().topics })
    nodes.push(node)
    started.push(node)
  }
  return { follower, nodes: started }
}

/** The newest report a tab was pushed about an album, after subscribing. */
async function following (node: AlbumNode, thread: string): Promise<() => AlbumSnapshot> {
  let latest: AlbumSnapshot | undefined
  node.tab.onEvent((event: NodeEvent) => { if (event.type === 'album.changed' && event.thread === thread && (latest === undefined || event.revision > latest.revision)) latest = event })
  const first = await node.tab.request({ type: 'album.subscribe', thread })
  if (latest === undefined || first.revision > latest.revision) latest = first
  return () => latest!
}

const titles = (s: AlbumSnapshot): string[] => s.photos.map((p) => p.title).sort()

describe('album members', { timeout: 120_000 }, () => {
  it('invites with a role, names every member from its own profile, refuses a viewer, and removing someone keeps later photos from them', async () => {
    const { nodes: [alice, bob, carol] } = await people(3)
    await alice!.tab.request({ type: 'profile.setName', name: 'Alice' })
    const { thread } = await alice!.tab.request({ type: 'album.create', name: 'Summer' })
    await bob!.tab.request({ type: 'profile.setName', name: 'Bob' })
    await carol!.tab.request({ type: 'profile.setName', name: 'Carol' })

    const asViewer = await alice!.tab.request({ type: 'album.invite', thread, base: BASE, role: 'read' })
    expect(asViewer).toMatchObject({ role: 'read', expires: null, uses: null })
    const asContributor = await alice!.tab.request({ type: 'album.invite', thread, base: BASE, role: 'write', uses: 1, expires: Date.now() + 3_600_000 })
    await bob!.tab.request({ type: 'album.join', link: asViewer.link })
    await carol!.tab.request({ type: 'album.join', link: asContributor.link })
    const toAlice = await following(alice!, thread)
    const toBob = await following(bob!, thread)
    const toCarol = await following(carol!, thread)

    // Every member sees the same list, with the names each member gave itself.
    const expected = [
      { name: 'Alice', role: 'admin', owner: true },
      { name: 'Bob', role: 'read', owner: false },
      { name: 'Carol', role: 'write', owner: false }
    ]
    for (const report of [toAlice, toBob, toCarol]) {
      await vi.waitFor(() => { expect(report().members.map(({ name, role, owner }) => ({ name, role, owner })).sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual(expected) }, WAIT)
    }
    expect(toBob().access).toEqual({ role: 'read', state: 'member' })
    expect(toBob().members.find((m) => m.you)?.name).toBe('Bob')

    // The viewer's attempt to add a photo through the node is refused in words, and nothing is added.
    await expect(bob!.tab.request({ type: 'photo.add', thread, title: 'sneaky' })).rejects.toMatchObject({ name: 'RoleError', message: expect.stringMatching(/cannot add photos.*viewer/) })
    // Nor may a viewer or a contributor change who is in the album.
    const carolLog = toAlice().members.find((m) => m.name === 'Carol')!.log
    await expect(bob!.tab.request({ type: 'member.remove', thread, member: carolLog })).rejects.toMatchObject({ name: 'RoleError' })

    // Carol's photo reaches everyone, shown by her name, from the log that signed it.
    await carol!.tab.request({ type: 'photo.add', thread, title: 'dunes' })
    for (const report of [toAlice, toBob]) {
      await vi.waitFor(() => { expect(report().photos.map((p) => [p.title, p.by, p.author])).toEqual([['dunes', 'Carol', carolLog]]) }, WAIT)
    }

    // Alice removes Carol: Carol's app hears she has no access and keeps what she had.
    await alice!.tab.request({ type: 'member.remove', thread, member: carolLog })
    await vi.waitFor(() => { expect(toCarol().access).toEqual({ role: 'none', state: 'removed' }) }, WAIT)
    expect(titles(toCarol())).toEqual(['dunes'])
    await expect(carol!.tab.request({ type: 'photo.add', thread, title: 'after' })).rejects.toMatchObject({ name: 'RoleError', message: expect.stringMatching(/no longer a member/) })

    // A photo Alice adds after the removal reaches Bob, never Carol.
    await alice!.tab.request({ type: 'photo.add', thread, title: 'secret' })
    await vi.waitFor(() => { expect(titles(toBob())).toEqual(['dunes', 'secret']) }, WAIT)
    // Carol's node tries again after Bob has it (a fresh subscribe reads her node as it is): the follower serves her nothing now.
    await vi.waitFor(async () => { expect((await carol!.tab.request({ type: 'album.subscribe', thread })).sync.state).toBe('offline') }, WAIT)
    expect(titles(await carol!.tab.request({ type: 'album.subscribe', thread }))).toEqual(['dunes'])
  })

  it('a role change reaches every member; an admin may invite; leaving keeps the album read-only; a name set later reaches every album', async () => {
    const { nodes: [alice, bob] } = await people(2)
    const { thread } = await alice!.tab.request({ type: 'album.create', name: 'Trip' })
    const { link } = await alice!.tab.request({ type: 'album.invite', thread, base: BASE, role: 'read' })
    await bob!.tab.request({ type: 'album.join', link })
    const toBob = await following(bob!, thread)
    const toAlice = await following(alice!, thread)
    await vi.waitFor(() => { expect(toAlice().members).toHaveLength(2) }, WAIT)
    const bobLog = toAlice().members.find((m) => !m.you)!.log

    await alice!.tab.request({ type: 'member.setRole', thread, member: bobLog, role: 'admin' })
    await vi.waitFor(() => { expect(toBob().access).toEqual({ role: 'admin', state: 'member' }) }, WAIT)
    expect((await bob!.tab.request({ type: 'album.invite', thread, base: BASE, role: 'write' })).link).toMatch(/#invite=/)

    // A name set now is written to every album this person is in, and everyone there sees it.
    expect(await bob!.tab.request({ type: 'profile.setName', name: 'Bob' })).toMatchObject({ name: 'Bob', albums: 1 })
    expect(await bob!.tab.request({ type: 'profile.get' })).toMatchObject({ name: 'Bob' })
    await vi.waitFor(() => { expect(toAlice().members.find((m) => m.log === bobLog)?.name).toBe('Bob') }, WAIT)

    await bob!.tab.request({ type: 'album.leave', thread })
    await vi.waitFor(() => { expect(toBob().access).toEqual({ role: 'none', state: 'left' }) }, WAIT)
    await vi.waitFor(() => { expect(toAlice().members.find((m) => m.log === bobLog)?.role).toBe('none') }, WAIT)
    // Still listed on Bob's device, read-only.
    expect((await bob!.tab.request({ type: 'album.list' })).albums.map((a) => a.id)).toEqual([thread])
  })

  it('the owner deletes an album for everyone: the others are told in words and keep what they had; anyone else deletes it for themselves', async () => {
    const { follower, nodes: [alice, bob, carol] } = await people(3)
    const { thread } = await alice!.tab.request({ type: 'album.create', name: 'Old' })
    await alice!.tab.request({ type: 'photo.add', thread, title: 'kept' })
    for (const [node, role] of [[bob!, 'write'], [carol!, 'read']] as const) {
      await node.tab.request({ type: 'album.join', link: (await alice!.tab.request({ type: 'album.invite', thread, base: BASE, role })).link })
    }
    const toBob = await following(bob!, thread)
    const toCarol = await following(carol!, thread)
    await vi.waitFor(() => { expect(titles(toCarol())).toEqual(['kept']) }, WAIT)
    await vi.waitFor(() => { expect(toBob().access.state).toBe('member') }, WAIT)
    await vi.waitFor(() => { expect(titles(toBob())).toEqual(['kept']) }, WAIT)
    // Bob, a contributor, may not rename or remove the photo Alice added: refused in words, nothing written.
    const kept = toBob().photos[0]!.id
    await expect(bob!.tab.request({ type: 'photo.rename', thread, photo: kept, title: 'mine now' })).rejects.toMatchObject({ name: 'DocumentAccessError', message: 'You cannot rename photos that someone else added: in this album you are a contributor' })
    await expect(bob!.tab.request({ type: 'photo.remove', thread, photo: kept })).rejects.toMatchObject({ name: 'DocumentAccessError', message: expect.stringMatching(/cannot remove photos that someone else added/) })

    // Carol deletes it for herself: she leaves, and the album is gone from her device only.
    expect(await carol!.tab.request({ type: 'album.delete', thread })).toMatchObject({ forEveryone: false })
    expect((await carol!.tab.request({ type: 'album.list' })).albums).toEqual([])
    await expect(carol!.tab.request({ type: 'photo.image', thread, photo: 'x' })).rejects.toMatchObject({ name: 'ThreadNotFoundError' })
    const toAlice = await following(alice!, thread)
    await vi.waitFor(() => { expect(toAlice().members.filter((m) => m.role === 'none')).toHaveLength(1) }, WAIT) // Carol's leave reached Alice

    expect(await alice!.tab.request({ type: 'album.delete', thread })).toMatchObject({ forEveryone: true })
    expect((await alice!.tab.request({ type: 'album.list' })).albums).toEqual([])
    // Bob's follower no longer serves him (it serves members only), so what his device can know is that he has no access.
    await vi.waitFor(() => { expect(toBob().access).toEqual({ role: 'none', state: 'removed' }) }, WAIT)
    expect(titles(toBob())).toEqual(['kept'])
    // The follower held everything that tells the others before Alice's device let the album go.
    expect((await follower.replica.heads(thread)).length).toBe(3)
  })

  it('refuses malformed member requests by name, and changes nothing', async () => {
    const { nodes: [alice] } = await people(1)
    const { thread } = await alice!.tab.request({ type: 'album.create', name: 'Mine' })
    for (const request of [
      { type: 'album.invite', thread, base: BASE, role: 'none' },
      { type: 'album.invite', thread, base: BASE, role: 'owner' },
      { type: 'album.invite', thread, base: BASE, role: 'read', uses: 2 },
      { type: 'profile.setName', name: 'x'.repeat(65) },
      { type: 'profile.setName', name: '   ' },
      { type: 'member.setRole', thread, member: 'someone', role: 'none' }
    ]) {
      await expect(alice!.tab.request(request as never)).rejects.toMatchObject({ name: 'MalformedMessageError' })
    }
    // A member the album does not have, and the owner itself, cannot be changed.
    await expect(alice!.tab.request({ type: 'member.remove', thread, member: 'someone' })).rejects.toMatchObject({ name: 'NotAMemberError' })
    const me = (await alice!.tab.request({ type: 'album.subscribe', thread })).members
    expect(me).toEqual([expect.objectContaining({ owner: true, you: true, role: 'admin' })])
    expect(await alice!.tab.request({ type: 'profile.get' })).toEqual(expect.objectContaining({ name: null }))
  })
})
