/**
 * The page's loggers: `threads:page:<component>:error`, silent unless turned on
 * (`localStorage.debug = 'threads:*'`), as in src/core/logger.ts, which the page
 * does not load (it takes only types from core). The browser console shows a
 * logged error with its causes.
 */
import weald from 'weald'

/** Logs failures of one part of the page that nothing else reports. */
export function pageFailureLog (component: string): (what: string, error: unknown) => void {
  const log = weald(`threads:page:${component}:error`)
  return (what, error) => { log('%s: %O', what, error) }
}
