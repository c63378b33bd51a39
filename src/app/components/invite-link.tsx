/** An invite link to hand on: the link itself, selectable, and a Copy button that says whether it worked. */
import { useState } from 'react'
import { ROLE_WORDS, type GrantableRole } from '../../protocol/member-messages.ts'

export function InviteLink ({ link, role }: { link: string, role: GrantableRole }) {
  const [copied, setCopied] = useState<'yes' | 'no' | undefined>(undefined)
  const copy = (): void => {
    // The clipboard needs a secure context and permission; where it is refused, the link is selected to copy by hand.
    navigator.clipboard.writeText(link).then(() => { setCopied('yes') }, () => {
      setCopied('no')
      const input = document.getElementById('invite-link') as HTMLInputElement | null
      input?.focus()
      input?.select()
    })
  }
  return (
    <div className='invite'>
      <label htmlFor='invite-link'>Invite link for a {ROLE_WORDS[role]} (the keys are only in the part after #)</label>
      <div className='row'>
        <input id='invite-link' readOnly value={link} onFocus={(e) => e.target.select()} />
        <button type='button' className='button primary' onClick={copy}>Copy</button>
      </div>
      {copied === 'yes' && <p role='status' className='muted'>Copied. Send it to the person you invite.</p>}
      {copied === 'no' && <p role='status' className='error'>This browser did not let the page copy: the link is selected, copy it with Ctrl+C (⌘C).</p>}
    </div>
  )
}
