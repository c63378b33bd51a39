/** Reading STUN/TURN settings: what RTCPeerConnection takes, and nothing else, refused in words. */
import { describe, expect, it } from 'vitest'
import { MAX_ICE_SERVERS_TEXT, parseIceServers } from '../../src/protocol/ice-servers.ts'

describe('ICE server settings', () => {
  it('reads STUN and TURN servers in RTCConfiguration\'s shape; empty is none', () => {
    expect(parseIceServers('')).toEqual([])
    expect(parseIceServers('  ')).toEqual([])
    expect(parseIceServers('[]')).toEqual([])
    expect(parseIceServers('[{ "urls": "stun:stun.example.org:3478" }, { "urls": ["turn:t.example.org:3478?transport=udp", "turns:t.example.org:5349"], "username": "u", "credential": "p" }]')).toEqual([
      { urls: 'stun:stun.example.org:3478' },
      { urls: ['turn:t.example.org:3478?transport=udp', 'turns:t.example.org:5349'], username: 'u', credential: 'p' }
    ])
  })

  for (const [text, words] of [
    ['{', 'not JSON'],
    ['{ "urls": "stun:x" }', 'must be a JSON list'],
    ['["stun:x"]', 'server 1 must be an object'],
    ['[{}]', 'server 1 needs "urls"'],
    ['[{ "urls": [] }]', 'server 1 needs "urls"'],
    ['[{ "urls": "https://example.org" }]', 'is not a stun:, stuns:, turn: or turns: URL'],
    ['[{ "urls": "stun:a b" }]', 'is not a stun:'],
    ['[{ "urls": "stun:x" }, { "urls": "turn:y" }]', 'server 2 is a TURN server and needs "username" and "credential"'],
    ['[{ "urls": "turn:y", "username": "u", "credential": 5 }]', '"credential" must be text'],
    ['[{ "urls": "stun:x", "credentialType": "oauth" }]', 'has a field "credentialType"'],
    [JSON.stringify(Array.from({ length: 9 }, () => ({ urls: 'stun:x' }))), 'at most 8 servers'],
    [JSON.stringify([{ urls: 'stun:' + 'x'.repeat(MAX_ICE_SERVERS_TEXT) }]), `over ${MAX_ICE_SERVERS_TEXT} characters`]
  ] as const) {
    it(`refuses ${text.slice(0, 50)} in words`, () => {
      expect(() => parseIceServers(text)).toThrow(expect.objectContaining({ name: 'InvalidIceServersError', message: expect.stringContaining(words) }))
    })
  }
})
