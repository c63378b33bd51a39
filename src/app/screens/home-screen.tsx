/** Home: the person's albums with cover and count, creating one, joining from a link, and their name. */
import { useState, type FormEvent } from 'react'
import { AlbumCard } from '../components/album-card.tsx'
import { ErrorLine } from '../components/error-line.tsx'
import { ProfileName } from '../components/profile-name.tsx'
import { useAlbumStore } from '../state/album-store.ts'
import { useNodeStore } from '../state/node-store.ts'

export function HomeScreen () {
  const albums = useAlbumStore((s) => s.albums)
  const ready = useNodeStore((s) => s.status.state === 'ready')
  return (
    <div className='home'>
      <section aria-labelledby='albums-heading' className='section'>
        <h2 id='albums-heading'>Your albums</h2>
        {albums.length === 0
          ? <p className='muted'>{ready ? 'No albums yet. Create one, or open an invite link someone sent you.' : 'Opening your albums…'}</p>
          : <ul className='album-cards' aria-label='Albums'>{albums.map((a) => <AlbumCard key={a.id} album={a} />)}</ul>}
      </section>
      <ErrorLine />
      <div className='home-forms'>
        <CreateAlbum />
        <JoinAlbum />
      </div>
      {ready && <section className='section' aria-label='About you'><ProfileName /></section>}
    </div>
  )
}

function CreateAlbum () {
  const create = useAlbumStore((s) => s.create)
  return (
    <OneFieldForm
      id='create' heading='New album' label='New album name' placeholder='New album name' button='Create album' primary
      onSubmit={(name) => { void create(name === '' ? 'Shared album' : name.slice(0, 200)) }}
    />
  )
}

function JoinAlbum () {
  const join = useAlbumStore((s) => s.join)
  return (
    <OneFieldForm
      id='join' heading='Join an album' label='Invite link' placeholder='Paste an invite link' button='Join'
      onSubmit={(link) => { if (link !== '') void join(link) }}
    />
  )
}

/** A titled form of one text field and its button; submitting hands over the trimmed text and clears the field. */
function OneFieldForm ({ id, heading, label, placeholder, button, primary = false, onSubmit }: {
  id: string, heading: string, label: string, placeholder: string, button: string, primary?: boolean, onSubmit: (text: string) => void
}) {
  const [text, setText] = useState('')
  const submit = (event: FormEvent): void => {
    event.preventDefault()
    onSubmit(text.trim())
    setText('')
  }
  return (
    <form onSubmit={submit} className='section card-form' aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{heading}</h2>
      <div className='row'>
        <input aria-label={label} placeholder={placeholder} value={text} onChange={(e) => setText(e.target.value)} />
        <button type='submit' className={primary ? 'button primary' : 'button'}>{button}</button>
      </div>
    </form>
  )
}
