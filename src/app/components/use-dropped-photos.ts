/** Photos dropped onto the album or pasted into it are added like picked ones; returns whether files are being dragged over. */
import { useEffect, useState } from 'react'
import { useAlbumStore } from '../state/album-store.ts'
import { useUploadStore } from '../state/upload-store.ts'

const hasFiles = (data: DataTransfer | null): boolean => data !== null && [...data.types].includes('Files')

export function useDroppedPhotos (enabled: boolean): boolean {
  const [dragging, setDragging] = useState(false)
  useEffect(() => {
    if (!enabled) return
    const add = (files: FileList | undefined): void => {
      const thread = useAlbumStore.getState().current
      if (thread === undefined || files === undefined || files.length === 0) return
      void useUploadStore.getState().add(thread, [...files])
    }
    const over = (event: DragEvent): void => {
      if (!hasFiles(event.dataTransfer)) return
      event.preventDefault() // lets the drop happen here instead of the browser opening the file
      setDragging(true)
    }
    const leave = (event: DragEvent): void => { if (event.relatedTarget === null) setDragging(false) }
    const drop = (event: DragEvent): void => {
      if (!hasFiles(event.dataTransfer)) return
      event.preventDefault()
      setDragging(false)
      add(event.dataTransfer?.files)
    }
    const paste = (event: ClipboardEvent): void => {
      // Text pasted into a field stays text; only files become photos.
      if (event.clipboardData === null || event.clipboardData.files.length === 0) return
      event.preventDefault()
      add(event.clipboardData.files)
    }
    addEventListener('dragover', over)
    addEventListener('dragleave', leave)
    addEventListener('drop', drop)
    addEventListener('paste', paste)
    return () => {
      removeEventListener('dragover', over)
      removeEventListener('dragleave', leave)
      removeEventListener('drop', drop)
      removeEventListener('paste', paste)
    }
  }, [enabled])
  return dragging
}
