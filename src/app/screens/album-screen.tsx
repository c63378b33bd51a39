/**
 * One album: its name and sync in words, adding photos (pick, drop, paste),
 * the grid, and beside it (on a phone, behind a tab) the people and the
 * activity. The viewer opens over it.
 */
import { ActivityPanel } from '../components/activity-panel.tsx'
import { AddPhotos } from '../components/add-photos.tsx'
import { AlbumHeader } from '../components/album-header.tsx'
import { AlbumToolbar } from '../components/album-toolbar.tsx'
import { FollowersPanel } from '../components/followers-panel.tsx'
import { MediaStorage } from '../components/media-storage.tsx'
import { MembersPanel } from '../components/members-panel.tsx'
import { PhotoGrid } from '../components/photo-grid.tsx'
import { PhotoViewer } from '../components/photo-viewer.tsx'
import { UploadProgress } from '../components/upload-progress.tsx'
import { useDroppedPhotos } from '../components/use-dropped-photos.ts'
import { usePhotoRights } from '../components/rights.ts'
import { useAlbumStore } from '../state/album-store.ts'
import { useUiStore, type AlbumPanel } from '../state/ui-store.ts'

const PANELS: ReadonlyArray<{ readonly panel: AlbumPanel, readonly label: string }> = [
  { panel: 'photos', label: 'Photos' },
  { panel: 'people', label: 'People' },
  { panel: 'activity', label: 'Activity' }
]

export function AlbumScreen () {
  const panel = useUiStore((s) => s.panel)
  const setPanel = useUiStore((s) => s.setPanel)
  const viewing = useUiStore((s) => s.viewing)
  const rights = usePhotoRights()
  const dropping = useDroppedPhotos(rights.add)
  const current = useAlbumStore((s) => s.current)
  return (
    <div className='album' data-panel={panel} data-dropping={dropping}>
      <AlbumHeader />
      <nav className='panel-tabs' aria-label='Album sections'>
        {PANELS.map((p) => (
          <button key={p.panel} type='button' className='button small' aria-pressed={panel === p.panel} onClick={() => { setPanel(p.panel) }}>{p.label}</button>
        ))}
      </nav>
      <div className='album-layout'>
        <div className='album-main'>
          {rights.add && <AddPhotos />}
          <UploadProgress />
          <AlbumToolbar />
          <PhotoGrid />
        </div>
        <aside className='album-aside' aria-label='People and activity'>
          <MembersPanel />
          <FollowersPanel />
          {current !== undefined && <MediaStorage thread={current} />}
          <ActivityPanel />
        </aside>
      </div>
      {viewing !== undefined && <PhotoViewer photo={viewing} />}
    </div>
  )
}
