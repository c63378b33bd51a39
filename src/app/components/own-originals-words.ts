/** The album's sentence about the originals this device added: how many a backup server holds, how many only this device. */
import type { OwnOriginals } from '../client/media.ts'
import { count } from './status-words.ts'

/** The sentence for `counts` (at least one own original). */
export function ownOriginalsWords ({ own, confirmed }: OwnOriginals): string {
  const onlyHere = own - confirmed
  if (onlyHere === 0) return `${own === 1 ? 'The original' : `All ${count(own, 'original')}`} you added here ${own === 1 ? 'is' : 'are'} held by a backup server.`
  if (confirmed === 0) return `${own === 1 ? 'The original' : `The ${count(own, 'original')}`} you added here ${own === 1 ? 'is' : 'are'} only on this device so far.`
  return `Of the ${count(own, 'original')} you added here, ${confirmed} ${confirmed === 1 ? 'is' : 'are'} held by a backup server and ${onlyHere} only on this device.`
}
