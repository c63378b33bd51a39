/**
 * The album's followers: each one it syncs with (the build's, those its
 * invite named, those added here), whether it is in reach and what waits for
 * it; and a field to add one by its web address or multiaddr. Every album
 * syncs with a follower once it is added.
 */
import { useState, type FormEvent } from 'react'
import type { FollowerSyncView } from '../../protocol/album-messages.ts'
import { NodeNotReadyError } from '../../protocol/errors.ts'
import { useAlbumStore } from '../state/album-store.ts'
import { useNodeStore } from '../state/node-store.ts'

const STATE_WORDS: { readonly [S in FollowerSyncView['state']]: string } = {
  idle: 'getting ready',
  syncing: 'syncing…',
  synced: 'holds everything',
  offline: 'out of reach'
}

/** A follower's address as a person reads it: host and port, and the end of its peer ID. */
function shortAddress (address: string): string {
  const parts = address.split('/')
  const at = (name: string): string | undefined => { const i = parts.indexOf(name); return i < 0 ? undefined : parts[i + 1] }
  const host = at('ip4') ?? at('ip6') ?? at('dns4') ?? at('dns6') ?? at('dns') ?? '?'
  return `${host}:${at('tcp') ?? '?'} (…${(at('p2p') ?? '').slice(-6)})`
}

export function FollowersPanel () {
  const list = useAlbumStore((s) => s.sync?.followerList) ?? []
  const [address, setAddress] = useState('')
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const [adding, setAdding] = useState(false)
  const submit = (event: FormEvent): void => {
    event.preventDefault()
    const client = useNodeStore.getState().client
    if (address.trim() === '') return
    setAdding(true)
    const request = client === undefined
      ? Promise.reject(new NodeNotReadyError('The background node is not ready yet'))
      : client.rpc.request({ type: 'follower.add', address: address.trim() }, { timeoutMs: 15_000 })
    request.then(() => { setAddress(''); setProblem(undefined) }, (error: unknown) => { setProblem((error as Error).message) })
      .finally(() => { setAdding(false) })
  }
  return (
    <section aria-label='Followers'>
      <h3>Followers</h3>
      <ul aria-label='Followers of this album'>
        {list.map((f) => (
          <li key={f.address} data-testid='follower' data-address={f.address} data-state={f.state} data-pending={f.pending} title={f.address}>
            {shortAddress(f.address)}: {STATE_WORDS[f.state]}{f.pending > 0 ? ` · ${f.pending} waiting for it` : ''}
          </li>
        ))}
      </ul>
      <form onSubmit={submit} className='row' aria-label='Add a follower'>
        <input aria-label='Follower address' placeholder='https://follower.example.org or /dns4/…/p2p/…' value={address} onChange={(e) => setAddress(e.target.value)} aria-invalid={problem !== undefined} />
        <button type='submit' disabled={adding}>Add follower</button>
      </form>
      {problem !== undefined && <p role='alert' className='error'>{problem}</p>}
    </section>
  )
}
