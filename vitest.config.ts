/**
 * Two Vitest projects:
 * - "node": every test/**\/*.test.ts except the browser ones (core, contracts against
 *   memory and files, adapters), run in Node;
 * - "chromium": test/browser/**\/*.test.ts in real headless Chromium through Playwright,
 *   using the system browser (CHROMIUM_PATH or /usr/bin/chromium), never a downloaded one.
 */
import { configDefaults, defineConfig } from 'vitest/config'
import { playwright } from '@vitest/browser-playwright'
import { chromiumArgs, chromiumPath } from './scripts/chromium.ts'


export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/browser/**']
        }
      },
      {
        // Found when a test first imports it (the page loads exifr lazily): bundled up front, so Vite does not reload a running test.
        optimizeDeps: { include: ['exifr'] },
        test: {
          name: 'chromium',
          include: ['test/browser/**/*.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            // These tests exercise storage and workers, not pixels: a failure screenshot
            // would show a blank page and be written into the working tree.
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: chromiumPath,
                args: chromiumArgs
              }
            }),
            instances: [{ browser: 'chromium' }]
          }
        }
      }
    ]
  }
})
