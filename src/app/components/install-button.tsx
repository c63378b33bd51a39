/** "Install app", where the browser offers to install it. */
import { useEffect, useState } from 'react'
import { listenForInstallOffer } from '../client/install-prompt.ts'

let offered: (() => Promise<boolean>) | undefined
const listeners = new Set<() => void>()
listenForInstallOffer((install) => {
  offered = install
  for (const l of listeners) l()
})

export function InstallButton () {
  const [install, setInstall] = useState(() => offered)
  useEffect(() => {
    const heard = (): void => { setInstall(() => offered) }
    listeners.add(heard)
    return () => { listeners.delete(heard) }
  }, [])
  if (install === undefined) return null
  return <button type='button' className='button small' onClick={() => { void install() }}>Install app</button>
}
