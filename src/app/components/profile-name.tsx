/** The name this person goes by in every album (each album shows it as "by <name>" on their photos). */
import { useEffect, useState, type FormEvent } from 'react'
import { isDisplayName } from '../../protocol/member-messages.ts'
import { useAlbumStore } from '../state/album-store.ts'
import { useNodeStore } from '../state/node-store.ts'

export function ProfileName () {
  const ready = useNodeStore((s) => s.status.state === 'ready')
  const saved = useAlbumStore((s) => s.profileName)
  const load = useAlbumStore((s) => s.loadProfile)
  const setName = useAlbumStore((s) => s.setName)
  const [name, setDraft] = useState('')
  const [problem, setProblem] = useState<string | undefined>(undefined)
  useEffect(() => { if (ready) void load() }, [ready])
  useEffect(() => { if (saved !== undefined) setDraft(saved) }, [saved])
  if (!ready) return null
  const submit = (event: FormEvent): void => {
    event.preventDefault()
    const wanted = name.trim()
    if (!isDisplayName(wanted)) {
      setProblem('A name needs at least one letter and at most 64 bytes (about 64 letters, fewer with accents or emoji).')
      return
    }
    setProblem(undefined)
    void setName(wanted)
  }
  return (
    <form onSubmit={submit} className='row' aria-label='Your name'>
      <label htmlFor='profile-name'>Your name in albums</label>
      <input id='profile-name' value={name} onChange={(e) => setDraft(e.target.value)} aria-invalid={problem !== undefined} aria-describedby={problem === undefined ? undefined : 'profile-name-problem'} />
      <button type='submit' className='button'>Save name</button>
      {saved !== undefined && saved === name.trim() && <span className='muted'>Saved</span>}
      {problem !== undefined && <p id='profile-name-problem' role='alert' className='error'>{problem}</p>}
    </form>
  )
}
