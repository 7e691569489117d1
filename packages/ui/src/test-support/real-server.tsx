import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CairnClient } from '@cairn/sdk'
import { startServer } from '@cairn/server'
import { render } from '@testing-library/react'
import type { ReactNode } from 'react'
import { ClientContext } from '../lib/client.js'

/** A real Cairn server on a loopback port over a fresh SQLite file, and an SDK client of it. */
export interface RealServer {
  url: string
  client: CairnClient
  close(): Promise<void>
}

export async function startRealServer(): Promise<RealServer> {
  const directory = await mkdtemp(join(tmpdir(), 'cairn-ui-'))
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    backendStoreUri: `sqlite:///${directory}/ui.db`,
    defaultArtifactRoot: join(directory, 'artifacts'),
    handleSignals: false,
  })
  // The page is served by that server: same origin, as in production.
  ;(window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`${server.url}/`)
  const client = new CairnClient({ trackingUri: server.url, retries: { maxRetries: 0 } })
  return {
    url: server.url,
    client,
    close: async () => {
      await server.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}

export function renderWithClient(client: CairnClient, node: ReactNode) {
  return render(<ClientContext.Provider value={client}>{node}</ClientContext.Provider>)
}
