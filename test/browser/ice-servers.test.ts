/**
 * STUN/TURN servers reach the real RTCPeerConnection a tab makes for the
 * node, in real Chromium: the node's (the build's) servers, credentials
 * included, through the bridge; and servers saved in the app, in their place,
 * from the next connection on, in every tab (localStorage).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { saveIceServers, savedIceServers } from '../../src/app/client/ice-settings.ts'
import { serveRtcBridge } from '../../src/app/client/rtc-bridge-host.ts'
import { tabLockName } from '../../src/protocol/rtc-bridge.ts'
import { carriers } from '../../worker/rtc-bridge/carriers.ts'
import { RemotePeerConnection } from '../../worker/rtc-bridge/remote-peer-connection.ts'

const BUILD = [
  { urls: 'stun:127.0.0.1:3478' },
  { urls: ['turn:127.0.0.1:3478?transport=udp'], username: 'build', credential: 'build-secret' }
]

/** The real peer connections made in this page from now on, each with the configuration it was given. */
function watchPeerConnections (): RTCPeerConnection[] {
  const made: RTCPeerConnection[] = []
  const Real = globalThis.RTCPeerConnection
  vi.stubGlobal('RTCPeerConnection', class extends Real {
    constructor (config?: RTCConfiguration) {
      super(config)
      made.push(this)
    }
  })
  return made
}

/** A "tab" carrying the node's connections; `app` is what the tab's app settings say. */
async function openTab (app?: () => ReturnType<typeof savedIceServers>): Promise<void> {
  const tab = crypto.randomUUID()
  await new Promise<void>((held) => { void navigator.locks.request(tabLockName(tab), async () => { held(); await new Promise(() => {}) }) })
  const channel = new MessageChannel()
  serveRtcBridge(channel.port1, app === undefined ? {} : { iceServers: app })
  carriers.add(tab, channel.port2)
}

const serversOf = (pc: RTCPeerConnection): unknown => pc.getConfiguration().iceServers?.map(({ urls, username, credential }) => ({ urls, username, credential }))

describe('ICE servers', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    localStorage.clear()
  })

  it('carries the node\'s servers, credentials and all, to the tab\'s RTCPeerConnection, and the app\'s saved ones in their place from the next connection', async () => {
    const made = watchPeerConnections()
    await openTab(savedIceServers)
    const first = new RemotePeerConnection({ iceServers: BUILD })
    await vi.waitFor(() => { expect(made).toHaveLength(1) })
    expect(serversOf(made[0]!)).toEqual([
      { urls: ['stun:127.0.0.1:3478'], username: '', credential: '' },
      { urls: ['turn:127.0.0.1:3478?transport=udp'], username: 'build', credential: 'build-secret' }
    ])

    // Saved in the app: the connection already made keeps its servers, the next one uses the app's.
    saveIceServers('[{ "urls": "turns:127.0.0.1:5349", "username": "me", "credential": "mine" }]')
    const second = new RemotePeerConnection({ iceServers: BUILD })
    await vi.waitFor(() => { expect(made).toHaveLength(2) })
    expect(serversOf(made[1]!)).toEqual([{ urls: ['turns:127.0.0.1:5349'], username: 'me', credential: 'mine' }])
    expect(serversOf(made[0]!)).toHaveLength(2)

    // A refused setting changes nothing; clearing it brings the build's back.
    expect(() => saveIceServers('[{ "urls": "turn:127.0.0.1:3478" }]')).toThrow(expect.objectContaining({ name: 'InvalidIceServersError', message: expect.stringContaining('needs "username" and "credential"') }))
    expect(savedIceServers()).toEqual([{ urls: 'turns:127.0.0.1:5349', username: 'me', credential: 'mine' }])
    saveIceServers('')
    const third = new RemotePeerConnection({ iceServers: BUILD })
    await vi.waitFor(() => { expect(made).toHaveLength(3) })
    expect(serversOf(made[2]!)).toHaveLength(2)
    for (const pc of [first, second, third]) pc.close()
  })
})
