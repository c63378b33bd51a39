/**
 * The STUN/TURN servers a person sets in this app (src/protocol/ice-servers.ts),
 * kept in the origin's localStorage so every tab, whichever carries the
 * node's WebRTC connections, uses them for the next connection it makes. No
 * setting means the build's servers (`VITE_ICE_SERVERS`).
 */
import { parseIceServers, type IceServer } from '../../protocol/ice-servers.ts'
import { pageFailureLog } from './log.ts'

const STORAGE_KEY = 'threads-ice-servers'
const logFailure = pageFailureLog('ice-settings')

/** The saved setting's text, or undefined when the build's servers apply. */
export function savedIceServersText (): string | undefined {
  return localStorage.getItem(STORAGE_KEY) ?? undefined
}

/**
 * The saved servers, or undefined when none are saved (or the saved text no
 * longer reads, which is logged: the build's servers apply then).
 */
export function savedIceServers (): IceServer[] | undefined {
  const text = savedIceServersText()
  if (text === undefined) return undefined
  try {
    return parseIceServers(text)
  } catch (error) {
    logFailure('reading the saved ICE servers; using the build\'s', error)
    return undefined
  }
}

/**
 * Checks and saves `text` (InvalidIceServersError, in words, saves nothing);
 * empty text removes the setting, so the build's servers apply again.
 * Returns the servers the next connection will use from this setting.
 */
export function saveIceServers (text: string): IceServer[] | undefined {
  if (text.trim() === '') {
    localStorage.removeItem(STORAGE_KEY)
    return undefined
  }
  const servers = parseIceServers(text)
  localStorage.setItem(STORAGE_KEY, text.trim())
  return servers
}
