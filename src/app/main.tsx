/**
 * Browser entry: renders the app, then starts the two background pieces. They are
 * started here, once per page load, rather than in effects, which React may run twice.
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app.tsx'
import { useNodeStore } from './state/node-store.ts'
import { useOfflineStore } from './state/offline-store.ts'
import './styles.css'

const root = document.getElementById('root')
if (root === null) throw new Error('index.html has no #root element')

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>
)

void useNodeStore.getState().connect()
useOfflineStore.getState().register()
