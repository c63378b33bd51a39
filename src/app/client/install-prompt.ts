/**
 * The browser's offer to install the app (`beforeinstallprompt`, Chromium),
 * kept until the person asks for it. Where the browser makes no offer there
 * is nothing to show.
 */

/** The part of Chromium's BeforeInstallPromptEvent the page uses. */
interface InstallPromptEvent extends Event {
  prompt(): Promise<void>
  readonly userChoice: Promise<{ readonly outcome: 'accepted' | 'dismissed' }>
}

/** Calls `onOffer` with a function that shows the browser's install dialog whenever the browser offers one, and with undefined once installed. */
export function listenForInstallOffer (onOffer: (install: (() => Promise<boolean>) | undefined) => void): void {
  addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault() // shown from the app's own button instead of the browser's mini bar
    const offer = event as InstallPromptEvent
    onOffer(async () => {
      await offer.prompt()
      const { outcome } = await offer.userChoice
      if (outcome === 'accepted') onOffer(undefined)
      return outcome === 'accepted'
    })
  })
  addEventListener('appinstalled', () => { onOffer(undefined) })
}
