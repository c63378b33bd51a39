/**
 * End-to-end tests against the production build (`vite build` runs first, see the
 * test:e2e script), in the system's Chromium: Playwright never downloads a browser.
 */
import { defineConfig } from '@playwright/test'
import { chromiumArgs, chromiumPath } from './scripts/chromium.ts'
import { APP_PORT as PORT } from './e2e/fixtures/ports.ts'

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
  // The follower is started by the specs that need it (e2e/fixtures/follower.ts), so they can stop it.
  webServer: [
    {
      command: `vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
      url: `http://127.0.0.1:${PORT}/`,
      // Always a fresh server on the fresh build: a server left running could serve an old one.
      reuseExistingServer: false,
      timeout: 30_000
    }
  ]
})
