/**
 * End-to-end tests against the production build (`vite build` runs first, see the
 * test:e2e script), in the system's Chromium: Playwright never downloads a browser.
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConfig } from '@playwright/test'
import { chromiumArgs, chromiumPath } from './scripts/chromium.ts'

const PORT = 4173
const FOLLOWER_DATA = join(tmpdir(), 'threads-e2e-follower')
/** The follower's own libp2p port, and the proxy port it announces (see e2e/fixtures/tcp-proxy.ts). */
export const FOLLOWER_PORT = 4011
export const PROXY_PORT = 4001

export default defineConfig({
  testDir: 'e2e',
  reporter: 'list',
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: chromiumPath,
      args: chromiumArgs
    }
  },
  webServer: [
    {
      // A real follower with fresh on-disk storage: the album syncs and invites through it. Browsers
      // reach it through a proxy on 4001 (e2e/fixtures/tcp-proxy.ts) that tests can cut.
      command: `rm -rf ${FOLLOWER_DATA} && node follower/main.ts --port ${FOLLOWER_PORT} --http-port 4002 --announce /ip4/127.0.0.1/tcp/${PROXY_PORT}/ws --data ${FOLLOWER_DATA}`,
      url: 'http://127.0.0.1:4002/health',
      reuseExistingServer: false,
      timeout: 30_000
    },
    {
      command: `vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
      url: `http://127.0.0.1:${PORT}/`,
      // Always a fresh server on the fresh build: a server left running could serve an old one.
      reuseExistingServer: false,
      timeout: 30_000
    }
  ]
})
