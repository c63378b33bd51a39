/**
 * The album's photos as a responsive grid of thumbnails, virtualised: only
 * the rows near the screen are in the page, so 10,000 photos scroll as
 * smoothly as 10 (@tanstack/react-virtual, scrolling with the window).
 */
import { useWindowVirtualizer } from '@tanstack/react-virtual'
import { useLayoutEffect, useMemo, useRef, useState } from 'react'
import { useAlbumStore } from '../state/album-store.ts'
import { useUiStore } from '../state/ui-store.ts'
import { ordered } from './photo-order.ts'
import { PhotoTile } from './photo-tile.tsx'

/** Room under each thumbnail for its caption and author, and between rows, in px. */
const CAPTION = 50
const GAP = 8

const columnsFor = (width: number): number => width < 420 ? 2 : Math.max(3, Math.floor(width / 180))

export function PhotoGrid () {
  const photos = useAlbumStore((s) => s.photos)
  const thread = useAlbumStore((s) => s.current)
  const order = useUiStore((s) => s.order)
  const shown = useMemo(() => ordered(photos, order), [photos, order])
  const box = useRef<HTMLDivElement>(null)
  const [layout, setLayout] = useState({ width: 0, top: 0 })

  useLayoutEffect(() => {
    const element = box.current
    if (element === null) return
    const measure = (): void => {
      const width = element.clientWidth
      const top = element.getBoundingClientRect().top + scrollY
      setLayout((old) => old.width === width && old.top === top ? old : { width, top })
    }
    measure()
    const observer = new ResizeObserver(measure)
    observer.observe(element)
    observer.observe(document.body) // what is above the grid may grow (progress, notices)
    return () => { observer.disconnect() }
  }, [])

  const columns = columnsFor(layout.width)
  const side = layout.width === 0 ? 160 : (layout.width - GAP * (columns - 1)) / columns
  const rows = Math.ceil(shown.length / columns)
  const virtualizer = useWindowVirtualizer({
    count: rows,
    estimateSize: () => side + CAPTION + GAP,
    overscan: 3,
    scrollMargin: layout.top,
    // Rows near the screen are rendered with React's batching, not synchronously inside each scroll event.
    useFlushSync: false
  })
  // Sizes depend on the width: measure again when it changes.
  useLayoutEffect(() => { virtualizer.measure() }, [side, virtualizer])

  return (
    <div ref={box} className='grid' role='list' aria-label='Photos' style={{ height: virtualizer.getTotalSize() }}>
      {photos.length === 0 && <p className='muted empty' role='listitem'>No photos yet.</p>}
      {virtualizer.getVirtualItems().map((row) => (
        <div
          key={row.key} className='grid-row'
          style={{ transform: `translateY(${row.start - virtualizer.options.scrollMargin}px)`, gridTemplateColumns: `repeat(${columns}, 1fr)`, height: side + CAPTION }}
        >
          {shown.slice(row.index * columns, row.index * columns + columns).map((p, i) => (
            // Position and total tell a screen reader where it is in the whole album, though only these rows are in the page.
            <PhotoTile key={p.id} photo={p} thread={thread!} side={side} position={row.index * columns + i + 1} total={shown.length} />
          ))}
        </div>
      ))}
    </div>
  )
}
