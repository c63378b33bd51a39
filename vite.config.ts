/**
 * Build of the app, its SharedWorker and its service worker.
 * - `worker.format: 'es'`: the SharedWorker is a module worker and is code-split.
 * - PWA with `injectManifest`: src/sw.ts is ours; the build only injects the list of
 *   files to precache. Registration is done by the app (src/app/client/service-worker.ts)
 *   so that its outcome reaches the UI, hence `injectRegister: false`.
 * - The app's main chunk is preloaded from index.html (scripts/preload-app-chunk.ts).
 */
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'
import { preloadAppChunk } from './scripts/preload-app-chunk.ts'
import { parseIceServers } from './src/protocol/ice-servers.ts'

const THEME = '#4c6ef5'

// A wrong VITE_ICE_SERVERS fails the build, in words, rather than every WebRTC connection later.
parseIceServers(process.env.VITE_ICE_SERVERS ?? '')

export default defineConfig({
  plugins: [
    react(),
    preloadAppChunk('src/app/start.tsx'),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      // The glob below already lists every file of the build, icons included.
      includeManifestIcons: false,
      manifest: {
        name: 'Threads',
        short_name: 'Threads',
        description: 'Shared photo albums, kept in your browser and synced peer to peer.',
        theme_color: THEME,
        background_color: '#f6f7fb',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        icons: [
          { src: 'pwa-192x192.png', sizes: '192x192', type: 'image/png' },
          { src: 'pwa-512x512.png', sizes: '512x512', type: 'image/png' },
          { src: 'maskable-512x512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' }
        ]
      },
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg,png}'] // the plugin adds the web manifest itself
      },
      devOptions: { enabled: false }
    })
  ],
  worker: { format: 'es' },
  build: { target: 'es2022' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' }
})
