/**
 * A Vite plugin that lists the app's main chunk (the one src/app/main.tsx
 * imports dynamically) as a `modulepreload` in index.html, so the browser
 * fetches and compiles it while the small entry is still starting its reads,
 * instead of only once the entry has run and asked for it.
 */
import type { Plugin } from 'vite'

/** Preloads the chunk whose entry module path ends with `moduleEnding`. */
export function preloadAppChunk (moduleEnding: string): Plugin {
  let base = '/'
  return {
    name: 'threads:preload-app-chunk',
    apply: 'build',
    configResolved (config) { base = config.base },
    transformIndexHtml: {
      order: 'post',
      handler (_html, { bundle }) {
        const chunk = Object.values(bundle ?? {}).find((c) => c.type === 'chunk' && c.facadeModuleId?.endsWith(moduleEnding) === true)
        if (chunk === undefined) throw new Error(`No chunk of the build comes from ${moduleEnding}, which index.html should preload`)
        return [{ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href: `${base}${chunk.fileName}` }, injectTo: 'head' }]
      }
    }
  }
}
