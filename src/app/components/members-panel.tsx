/**
 * The members of the album shown: names and roles, and for an admin inviting
 * with a chosen role (a link with a Copy button), changing roles and removing
 * people; for everyone, leaving or deleting the album.
 */
import { useState, type FormEvent } from 'react'
import { ROLE_WORDS, type GrantableRole, type MemberView } from '../../protocol/member-messages.ts'
import { useAlbumStore } from '../state/album-store.ts'
import { InviteLink } from './invite-link.tsx'
import { ProfileName } from './profile-name.tsx'
import { nameOf } from './status-words.ts'

/** The roles people are offered, by the name the album gives them. */
const ROLE_CHOICES: ReadonlyArray<{ readonly role: GrantableRole, readonly label: string }> = [
  { role: 'read', label: 'Viewer (sees photos)' },
  { role: 'write', label: 'Contributor (adds photos)' },
  { role: 'admin', label: 'Admin (also manages people)' },
  { role: 'follow', label: 'Backup service (keeps a copy, sees nothing)' }
]

const EXPIRY_CHOICES = [
  { label: 'Never expires', ms: undefined },
  { label: 'Expires in 1 day', ms: 24 * 3600 * 1000 },
  { label: 'Expires in 7 days', ms: 7 * 24 * 3600 * 1000 }
] as const

export function MembersPanel () {
  const members = useAlbumStore((s) => s.members)
  const access = useAlbumStore((s) => s.access)
  const admin = access?.state === 'member' && access.role === 'admin'
  const owner = members.some((m) => m.you && m.owner)
  const shown = members.filter((m) => m.role !== 'none')
  return (
    <section className='members section' aria-labelledby='members-heading'>
      <h3 id='members-heading'>People in this album</h3>
      <ProfileName />
      <ul aria-label='Members' className='member-list'>
        {shown.map((m) => <MemberRow key={m.log} member={m} canManage={admin && !m.owner && !m.you} />)}
      </ul>
      {admin && <InviteForm />}
      <AlbumExit owner={owner} member={access?.state === 'member'} />
    </section>
  )
}

function MemberRow ({ member, canManage }: { member: MemberView, canManage: boolean }) {
  const setRole = useAlbumStore((s) => s.setRole)
  const remove = useAlbumStore((s) => s.removeMember)
  const name = nameOf(member)
  return (
    <li data-testid='member'>
      <strong>{name}</strong>{member.you ? ' (you)' : ''} <span className='muted'>{member.owner ? 'owner' : ROLE_WORDS[member.role]}</span>
      {canManage && (
        <>
          {' '}
          <select aria-label={`Role of ${name}`} value={member.role} onChange={(e) => { void setRole(member.log, e.target.value as GrantableRole) }}>
            {ROLE_CHOICES.map((c) => <option key={c.role} value={c.role}>{c.label}</option>)}
            {member.role === 'delete' && <option value='delete'>Editor</option>}
          </select>{' '}
          <button type='button' className='button small danger' aria-label={`Remove ${name} from this album`} onClick={() => { if (confirm(`Remove ${name} from this album? They keep what they have, but see nothing added from now on.`)) void remove(member.log) }}>Remove</button>
        </>
      )}
    </li>
  )
}

function InviteForm () {
  const makeInvite = useAlbumStore((s) => s.makeInvite)
  const invite = useAlbumStore((s) => s.invite)
  const [role, setRole] = useState<GrantableRole>('read')
  const [expiry, setExpiry] = useState(0)
  const [singleUse, setSingleUse] = useState(false)
  const [making, setMaking] = useState(false)
  const submit = (event: FormEvent): void => {
    event.preventDefault()
    setMaking(true)
    const ms = EXPIRY_CHOICES[expiry]?.ms
    void makeInvite({ role, ...(ms === undefined ? {} : { expiresInMs: ms }), singleUse }).finally(() => { setMaking(false) })
  }
  return (
    <form onSubmit={submit} className='invite-form' aria-label='Invite someone'>
      <label>Invite as <select aria-label='Invite as' value={role} onChange={(e) => setRole(e.target.value as GrantableRole)}>
        {ROLE_CHOICES.map((c) => <option key={c.role} value={c.role}>{c.label}</option>)}
      </select></label>{' '}
      <label><select aria-label='Link expiry' value={expiry} onChange={(e) => setExpiry(Number(e.target.value))}>
        {EXPIRY_CHOICES.map((c, i) => <option key={c.label} value={i}>{c.label}</option>)}
      </select></label>{' '}
      <label className='check'><input type='checkbox' checked={singleUse} onChange={(e) => setSingleUse(e.target.checked)} /> Single use</label>{' '}
      <button type='submit' className='button' disabled={making}>{making ? 'Making the link…' : 'Make invite link'}</button>
      {invite !== undefined && <InviteLink link={invite.link} role={invite.role} />}
    </form>
  )
}

function AlbumExit ({ owner, member }: { owner: boolean, member: boolean }) {
  const leave = useAlbumStore((s) => s.leave)
  const deleteAlbum = useAlbumStore((s) => s.deleteAlbum)
  const [busy, setBusy] = useState(false)
  const run = (question: string, action: () => Promise<void>): void => {
    if (!confirm(question)) return
    setBusy(true)
    void action().finally(() => { setBusy(false) })
  }
  return (
    <div className='row'>
      {member && !owner && (
        <button type='button' className='button small' disabled={busy} onClick={() => run('Leave this album? You keep what you have here, read-only, and see nothing added from now on.', leave)}>Leave album</button>
      )}
      <button type='button' className='button small danger' disabled={busy} onClick={() => run(owner
        ? 'Delete this album for everyone? Everyone else is removed (they keep what they have, read-only) and it leaves this device.'
        : 'Delete this album from this device? You leave it; the others keep it.', deleteAlbum)}
      >{owner ? 'Delete album for everyone' : 'Delete album from this device'}</button>
      {busy && <span role='status' className='muted'>Telling the others…</span>}
    </div>
  )
}
