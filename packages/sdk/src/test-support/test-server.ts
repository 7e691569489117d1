import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A tracking server for a test file. */
export interface TestServer {
  url: string
  directory: string
  close(): Promise<void>
}

/**
 * Starts a real Cairn server on a random loopback port over a fresh SQLite file. With
 * `CAIRN_SDK_TEST_TRACKING_URI` set, the tests use that server instead (e.g. MLflow's own, to
 * check compatibility).
 */
export async function startTestServer(): Promise<TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'cairn-sdk-'))
  const external = process.env.CAIRN_SDK_TEST_TRACKING_URI
  if (external) {
    return { url: external, directory, close: () => rm(directory, { recursive: true, force: true }) }
  }
  const { startServer } = await import('@cairn/server')
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    backendStoreUri: `sqlite:///${directory}/x.db`,
    defaultArtifactRoot: join(directory, 'artifacts'),
    handleSignals: false,
  })
  return {
    url: server.url,
    directory,
    close: async () => {
      await server.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}

/** A name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}
