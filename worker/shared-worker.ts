/**
 * SharedWorker entry: the background node every tab of a browser profile shares.
 *
 * The browser keeps one instance per script URL and name, so a deploy (new script
 * URL) starts a second instance next to an old one still serving old tabs; the
 * versioned protocol is what lets them tell each other apart.
 *
 * The `connect` listener is registered synchronously, during the script's first
 * run: a connect event fired before it exists would be lost, and the tab that sent
 * it would wait forever. Setup then runs asynchronously behind the port hub.
 */
import type { RequestHandlers } from '../src/protocol/rpc-server.ts'
import { holdLockForLife, NODE_LOCK } from '../src/protocol/shared-names.ts'
import { isBridgeOffer, tabLockName } from '../src/protocol/rtc-bridge.ts'
import { createPortHub } from '../src/services/port-hub.ts'
import { randomId } from '../src/protocol/random-id.ts'
import { setupNode } from './node-setup.ts'
import { carriers } from './rtc-bridge/carriers.ts'

// The WebWorker library types the global scope as a dedicated worker's; this script runs as a shared one.
declare const self: SharedWorkerGlobalScope

const hub = createPortHub({ setup })

self.addEventListener('connect', (event) => {
  for (const port of event.ports) {
    const link = hub.connect(port)
    // A tab offering to carry WebRTC connections sends its bridge port on its node port (no id: not a request).
    port.addEventListener('message', ({ data, ports }: MessageEvent) => {
      if (!isBridgeOffer(data) || ports[0] === undefined) return
      carriers.add(data.tab, ports[0])
      // The tab holds this lock for its life: once granted to us, the tab is gone, and so is what it subscribed to.
      void navigator.locks.request(tabLockName(data.tab), () => { link.release() })
    })
  }
})

async function setup (): Promise<RequestHandlers> {
  // The node owns the database while it runs; a service worker flushing the outbox waits for it (and it for the flush).
  await holdLockForLife(NODE_LOCK)
  return await setupNode(randomId())
}
