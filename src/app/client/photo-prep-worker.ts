/**
 * A dedicated worker that prepares photos (photo-media.ts) away from the tab's
 * main thread, so decoding, scaling and encoding never hold up scrolling or
 * the progress shown while hundreds of files are added. It answers each
 * `{ id, file }` with the renditions and what the record says of the file,
 * or with the refusal's name and words.
 */
import { preparePhoto } from './photo-media.ts'
import type { PrepRequest, PrepReply } from './photo-prep-messages.ts'

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<PrepRequest>) => void) | null
  postMessage: (reply: PrepReply) => void
}

scope.onmessage = ({ data: { id, file } }) => {
  preparePhoto(file).then(
    ({ preview, thumbnail, media }) => { scope.postMessage({ id, preview, thumbnail, media }) },
    (error: unknown) => {
      const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) }
      scope.postMessage({ id, error: { name, message } })
    })
}
