/** Who may speak on a thread's topic through this follower: the registry the browser node keeps too (src/services/topic-speakers.ts). */
export * from '../src/services/topic-speakers.ts'
