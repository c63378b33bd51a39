/**
 * The follower's settings: every limit has its default, can be set by flag or
 * environment variable (the flag wins), and a bad value or an unknown flag is
 * refused in words before anything starts. CORS defaults to the app's origins.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_CORS_ORIGINS, readConfig } from '../../follower/config.ts'
import { DEFAULT_LIMITS } from '../../follower/limits.ts'

describe('follower config', () => {
  it('starts from the defaults: every limit, and CORS for the app\'s origins only', () => {
    const config = readConfig([], {})
    expect(config.limits).toEqual(DEFAULT_LIMITS)
    expect(config.corsOrigins).toEqual(DEFAULT_CORS_ORIGINS)
    expect(config.corsOrigins).not.toContain('*')
  })

  it('takes each limit from its flag or its variable, the flag first', () => {
    const config = readConfig(['--max-connections-per-ip', '5', '--cors-origins', 'https://album.example, https://other.example'], {
      THREADS_FOLLOWER_MAX_CONNECTIONS_PER_IP: '7',
      THREADS_FOLLOWER_MAX_BYTES_PER_THREAD: '1000'
    })
    expect(config.limits).toEqual({ ...DEFAULT_LIMITS, maxConnectionsPerIp: 5, maxBytesPerThread: 1000 })
    expect(config.corsOrigins).toEqual(['https://album.example', 'https://other.example'])
  })

  it('refuses a limit that is not a whole number of at least 1, and a flag it does not know', () => {
    for (const value of ['0', '-3', '1.5', 'many']) {
      expect(() => readConfig(['--max-reservations', value], {})).toThrow(expect.objectContaining({ name: 'FollowerConfigError', message: expect.stringContaining('--max-reservations must be a whole number') }))
    }
    expect(() => readConfig([], { THREADS_FOLLOWER_RELAY_DATA_LIMIT_BYTES: 'lots' })).toThrow(/--relay-data-limit-bytes/)
    expect(() => readConfig(['--max-conections', '3'], {})).toThrow(expect.objectContaining({ name: 'FollowerConfigError', message: 'there is no flag --max-conections' }))
  })
})
