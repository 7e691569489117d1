import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App.js'
import { ClientContext, clientForPage } from './lib/client.js'
import './styles.css'

const root = document.getElementById('root')
if (!root) throw new Error('index.html has no #root')
createRoot(root).render(
  <StrictMode>
    <ClientContext.Provider value={clientForPage()}>
      <App />
    </ClientContext.Provider>
  </StrictMode>,
)
