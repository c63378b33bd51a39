/**
 * Helia's light node for the follower, loaded without the rest of helia's entry
 * point. That entry point imports @helia/libp2p and @helia/http for createHelia,
 * and with them libp2p's default services (WebRTC and its native module, the DHT,
 * AutoTLS, UPnP and more): about 23 MB of an idle follower's RSS for code it never
 * runs. helia exports only its entry point, so the modules of the Helia class and
 * of its name and version are found beside it; createLightHelia does what
 * helia's createHeliaLight does with them.
 */
import type { createHeliaLight } from 'helia'

const entry = import.meta.resolve('helia')
const [{ Helia }, { name, version }] = await Promise.all([
  import(new URL('./helia.js', entry).href) as Promise<{ Helia: new (init: object) => ReturnType<typeof createHeliaLight> }>,
  import(new URL('./version.js', entry).href) as Promise<{ name: string, version: string }>
])

/** helia's createHeliaLight, without loading helia's entry point. */
export const createLightHelia: typeof createHeliaLight = (init = {}) => new Helia({ name, version, ...init })
