/**
 * What the person is looking at: the home screen or an album, the photo open
 * in the viewer, the photos selected, the grid's order and, on a phone, which
 * of the album's panels is open. Nothing here is data: it is where they are.
 */
import { create } from 'zustand'

/** How the grid orders photos. */
export type PhotoOrder = 'added' | 'taken'

/** The album's panels, which a phone shows one at a time. */
export type AlbumPanel = 'photos' | 'people' | 'activity'

export interface UiStore {
  readonly screen: 'home' | 'album'
  /** The photo open in the viewer. */
  readonly viewing: string | undefined
  readonly selecting: boolean
  readonly selected: ReadonlySet<string>
  readonly order: PhotoOrder
  readonly panel: AlbumPanel
  showHome(): void
  showAlbum(): void
  view(photo: string | undefined): void
  setSelecting(on: boolean): void
  toggle(photo: string): void
  clearSelection(): void
  setOrder(order: PhotoOrder): void
  setPanel(panel: AlbumPanel): void
}

export const useUiStore = create<UiStore>()((set, get) => ({
  screen: 'home',
  viewing: undefined,
  selecting: false,
  selected: new Set(),
  order: 'added',
  panel: 'photos',
  showHome: () => { set({ screen: 'home', viewing: undefined, selecting: false, selected: new Set(), panel: 'photos' }) },
  showAlbum: () => { set({ screen: 'album' }) },
  view: (photo) => { set({ viewing: photo }) },
  setSelecting: (on) => { set({ selecting: on, selected: new Set() }) },
  toggle (photo) {
    const selected = new Set(get().selected)
    if (!selected.delete(photo)) selected.add(photo)
    set({ selected })
  },
  clearSelection: () => { set({ selected: new Set() }) },
  setOrder: (order) => { set({ order }) },
  setPanel: (panel) => { set({ panel }) }
}))
