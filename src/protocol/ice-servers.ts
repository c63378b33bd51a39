/**
 * STUN and TURN servers for the WebRTC connections between browsers. On a
 * closed network none are needed (host candidates reach each other); across
 * NATs a STUN server finds each browser's public address and a TURN server
 * relays when nothing else gets through. They come from the build
 * (`VITE_ICE_SERVERS`, JSON) and, where a person sets them in the app, from
 * the page's saved setting, which takes precedence (src/app/client/ice-settings.ts).
 *
 * The text is a JSON list in the shape of RTCConfiguration's `iceServers`:
 * `[{ "urls": "stun:stun.example.org:3478" }, { "urls": ["turn:turn.example.org:3478?transport=udp"],
 * "username": "u", "credential": "p" }]`. It is checked here, bounded and in
 * words, before it reaches any RTCPeerConnection.
 */
import { ThreadsError } from '../core/errors.ts'

/** One STUN or TURN server, as RTCPeerConnection takes it. */
export interface IceServer {
  readonly urls: string | readonly string[]
  readonly username?: string
  readonly credential?: string
}

/** ICE server settings that do not parse or are not STUN/TURN servers; the message says what is wrong. */
export class InvalidIceServersError extends ThreadsError {
  static override readonly errorName = 'InvalidIceServersError'
}

/** Longest setting text accepted. */
export const MAX_ICE_SERVERS_TEXT = 4096
/** Most servers, and most URLs for one server. */
export const MAX_ICE_SERVERS = 8
const MAX_FIELD_LENGTH = 512
const ICE_URL = /^(stuns?|turns?):[^\s]+$/

const invalid = (message: string, cause?: unknown): InvalidIceServersError => new InvalidIceServersError(`ICE servers: ${message}`, { cause })

function parseServer (value: unknown, index: number): IceServer {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`server ${index + 1} must be an object with "urls"`)
  const { urls, username, credential, ...rest } = value as Record<string, unknown>
  const extra = Object.keys(rest)
  if (extra.length > 0) throw invalid(`server ${index + 1} has a field "${extra[0]!.slice(0, 40)}"; only "urls", "username" and "credential" are read`)
  const list = typeof urls === 'string' ? [urls] : urls
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_ICE_SERVERS) throw invalid(`server ${index + 1} needs "urls": one URL or a list of 1 to ${MAX_ICE_SERVERS}`)
  for (const url of list) {
    if (typeof url !== 'string' || url.length > MAX_FIELD_LENGTH || !ICE_URL.test(url)) throw invalid(`server ${index + 1}: ${JSON.stringify(String(url).slice(0, 60))} is not a stun:, stuns:, turn: or turns: URL`)
  }
  for (const [name, field] of [['username', username], ['credential', credential]] as const) {
    if (field !== undefined && (typeof field !== 'string' || field.length > MAX_FIELD_LENGTH)) throw invalid(`server ${index + 1}: "${name}" must be text of at most ${MAX_FIELD_LENGTH} characters`)
  }
  const turn = (list as string[]).some((url) => url.startsWith('turn'))
  if (turn && (username === undefined || credential === undefined)) throw invalid(`server ${index + 1} is a TURN server and needs "username" and "credential"`)
  return {
    urls: typeof urls === 'string' ? urls : [...(list as string[])],
    ...(username === undefined ? {} : { username: username as string }),
    ...(credential === undefined ? {} : { credential: credential as string })
  }
}

/** Reads ICE server settings from their JSON text; empty text is no servers. Throws InvalidIceServersError, in words. */
export function parseIceServers (text: string): IceServer[] {
  if (text.trim() === '') return []
  if (text.length > MAX_ICE_SERVERS_TEXT) throw invalid(`the setting is over ${MAX_ICE_SERVERS_TEXT} characters`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw invalid('the setting is not JSON', cause)
  }
  if (!Array.isArray(value)) throw invalid('the setting must be a JSON list of servers')
  if (value.length > MAX_ICE_SERVERS) throw invalid(`at most ${MAX_ICE_SERVERS} servers`)
  return value.map(parseServer)
}

/** The servers the build names in `VITE_ICE_SERVERS` (none if unset); the build checks them (vite.config.ts). */
export function buildIceServers (): IceServer[] {
  return parseIceServers((import.meta.env.VITE_ICE_SERVERS as string | undefined) ?? '')
}
