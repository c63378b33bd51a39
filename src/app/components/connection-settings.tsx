/**
 * Direct connections' STUN/TURN servers (src/app/client/ice-settings.ts): a
 * JSON list, checked before it is saved, used from the next connection on.
 * Empty means the servers this build came with.
 */
import { useState, type FormEvent } from 'react'
import { saveIceServers, savedIceServers, savedIceServersText } from '../client/ice-settings.ts'

const EXAMPLE = '[{ "urls": "stun:stun.example.org:3478" }, { "urls": "turn:turn.example.org:3478", "username": "me", "credential": "secret" }]'

export function ConnectionSettings () {
  const [text, setText] = useState(() => savedIceServersText() ?? '')
  const [saved, setSaved] = useState(() => savedIceServersText() ?? '')
  const [count, setCount] = useState(() => savedIceServers()?.length)
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const submit = (event: FormEvent): void => {
    event.preventDefault()
    try {
      setCount(saveIceServers(text)?.length)
      setSaved(text.trim())
      setProblem(undefined)
    } catch (error) {
      setProblem((error as Error).message)
    }
  }
  return (
    <details className='panel'>
      <summary>Direct connections: STUN and TURN servers</summary>
      <form onSubmit={submit} aria-label='STUN and TURN servers'>
        <p className='muted'>
          Browsers on different networks connect directly through these servers. A JSON list such as <code>{EXAMPLE}</code>.
          Leave empty to use this app's own. Used from the next connection on.
        </p>
        <textarea id='ice-servers' aria-label='ICE servers (JSON)' rows={3} value={text} onChange={(e) => setText(e.target.value)} aria-invalid={problem !== undefined} aria-describedby={problem === undefined ? undefined : 'ice-servers-problem'} />
        <div className='row'>
          <button type='submit'>Save servers</button>
          {problem === undefined && text.trim() === saved && <span className='muted'>{count === undefined ? 'Using this app\'s own servers' : `Saved: ${count} server${count === 1 ? '' : 's'}`}</span>}
        </div>
        {problem !== undefined && <p id='ice-servers-problem' role='alert' className='error'>{problem}</p>}
      </form>
    </details>
  )
}
