/**
 * A picture of the album's logs: one lane per member's log, each record a
 * point in causal order (left to right), links where a record names a record
 * of another log as a dependency. Filled points are signed and verified here;
 * hollow ones are this device's records still waiting to reach a follower.
 */
import { useEffect, useMemo, useRef } from 'react'
import { useAlbumStore } from '../state/album-store.ts'
import { useHistoryStore } from '../state/history-store.ts'
import { causalOrder } from './log-order.ts'
import { count, nameOf } from './status-words.ts'

const LANE = 36
const STEP = 11
const LEFT = 10
/** Width of the lane names, which stay put while the records scroll. */
const NAMES = 84
const TOP = 20

export function LogPicture () {
  const entries = useHistoryStore((s) => s.entries)
  const members = useAlbumStore((s) => s.members)
  const pending = useAlbumStore((s) => s.sync?.pending ?? 0)
  const self = members.find((m) => m.you)?.log
  const ordered = useMemo(() => causalOrder(entries), [entries])
  const scroller = useRef<HTMLDivElement>(null)
  // The newest records are at the right: show them first.
  useEffect(() => { scroller.current?.scrollTo({ left: scroller.current.scrollWidth }) }, [ordered.length])
  const lanes = useMemo(() => [...new Set(entries.map((e) => e.log))].sort((a, b) => Number(b === self) - Number(a === self)), [entries, self])
  if (ordered.length === 0) return <p className='muted'>Nothing to draw yet.</p>

  const lane = new Map(lanes.map((log, i) => [log, i]))
  const position = new Map(ordered.map((e, i) => [e.record, { x: LEFT + i * STEP, y: TOP + lane.get(e.log)! * LANE }]))
  const ownSeq = Math.max(0, ...entries.filter((e) => e.log === self).map((e) => e.seq))
  const waiting = (log: string, seq: number): boolean => log === self && seq > ownSeq - pending
  const links = ordered.flatMap((e) => e.deps.flatMap((d) => {
    const from = position.get(d.record)
    return from === undefined ? [] : [{ key: `${d.record}>${e.record}`, from, to: position.get(e.record)! }]
  }))
  const name = (log: string): string => {
    const m = members.find((x) => x.log === log)
    return m === undefined ? log.slice(-6) : nameOf(m)
  }
  const width = LEFT + ordered.length * STEP + 8
  const height = TOP + lanes.length * LANE
  const summary = `${count(lanes.length, 'log')}, ${count(ordered.length, 'record')} in causal order, ${count(links.length, 'link')} between logs; ${pending === 0 ? 'all sent' : `${count(pending, 'record')} of yours waiting to send`}.`
  return (
    <div className='log-picture'>
      <p className='muted small-text'>{summary} Every record shown is signed by its writer and was verified on this device before it was stored.</p>
      <div className='log-frame'>
        <svg width={NAMES} height={height} aria-hidden='true' className='lane-names'>
          {lanes.map((log, i) => <text key={log} x={4} y={TOP + i * LANE + 4} className='lane-name'>{name(log)}</text>)}
        </svg>
        <div ref={scroller} className='log-scroll' tabIndex={0} role='group' aria-label='Picture of the logs, scrolls sideways'>
          <svg width={width} height={height} role='img' aria-label={summary}>
            {lanes.map((log, i) => <line key={log} x1={0} x2={width} y1={TOP + i * LANE} y2={TOP + i * LANE} className='lane' />)}
            {links.map((l) => <path key={l.key} d={`M${l.from.x},${l.from.y} C${l.from.x + 24},${l.from.y} ${l.to.x - 24},${l.to.y} ${l.to.x},${l.to.y}`} className='dep' />)}
            {ordered.map((e) => {
              const p = position.get(e.record)!
              const open = waiting(e.log, e.seq)
              return (
                <circle key={e.record} cx={p.x} cy={p.y} r={4} className={`point ${e.kind}${open ? ' waiting' : ''}`}>
                  <title>{`${name(e.log)} #${e.seq}: ${e.kind === 'acl' ? 'membership' : e.kind === 'db' ? 'photos' : 'not readable here'}, ${open ? 'waiting to send' : 'signed and verified'}`}</title>
                </circle>
              )
            })}
          </svg>
        </div>
      </div>
      <p className='legend small-text'>
        <span><svg width='12' height='12' aria-hidden='true'><circle cx='6' cy='6' r='5' className='point db' /></svg> photos</span>
        <span><svg width='12' height='12' aria-hidden='true'><circle cx='6' cy='6' r='5' className='point acl' /></svg> membership</span>
        <span><svg width='12' height='12' aria-hidden='true'><circle cx='6' cy='6' r='4' className='point db waiting' /></svg> waiting to send</span>
        <span><svg width='24' height='12' aria-hidden='true'><path d='M1,10 C8,10 16,2 23,2' className='dep' /></svg> depends on another log</span>
      </p>
    </div>
  )
}
