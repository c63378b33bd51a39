/**
 * The system Chromium every browser test and benchmark drives, and the flags it
 * needs on these machines (no sandbox as root, no GPU, no background traffic
 * to a network that is not there). No tool ever downloads a browser.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage'
]
