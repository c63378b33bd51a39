/** What a person's role lets them do with photos (the node refuses the rest anyway; the page just does not offer it). */
import { MEMBER_ROLES, type AccessView, type MemberRole, type MemberView } from '../../protocol/member-messages.ts'
import { useAlbumStore } from '../state/album-store.ts'

const atLeast = (role: MemberRole, wanted: MemberRole): boolean => MEMBER_ROLES.indexOf(role) >= MEMBER_ROLES.indexOf(wanted)

/** What this person may do with photos here. */
export interface PhotoRights {
  readonly add: boolean
  /** Whether they may change the caption of, or remove, a photo added by `author` (their own as a contributor; anyone's as an editor or admin). */
  readonly edit: (author: string) => boolean
}

/** Rights from a standing and this person's log. */
export function photoRights (access: AccessView | undefined, self: string | undefined): PhotoRights {
  const role = access?.state === 'member' ? access.role : 'none'
  return {
    add: atLeast(role, 'write'),
    edit: (author) => atLeast(role, 'delete') || (atLeast(role, 'write') && author === self)
  }
}

const selfOf = (members: readonly MemberView[]): string | undefined => members.find((m) => m.you)?.log

/** This person's rights in the album shown. */
export function usePhotoRights (): PhotoRights {
  const access = useAlbumStore((s) => s.access)
  const self = useAlbumStore((s) => selfOf(s.members))
  return photoRights(access, self)
}
