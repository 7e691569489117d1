import type { CairnClient } from '@cairn/sdk'

/** A file or folder of a run's artifacts. */
export interface ArtifactEntry {
  path: string
  isDir: boolean
  fileSize?: number
}

/** The SDK's artifact methods (`client.artifacts`). */
export interface ArtifactsApi {
  listArtifacts(runId: string, path?: string): Promise<ArtifactEntry[]>
  downloadArtifact(runId: string, artifactPath: string): Promise<Response>
}

/** The artifact methods of the client, when this SDK build has them. */
export function artifactsOf(client: CairnClient): ArtifactsApi | undefined {
  const api = (client as unknown as { artifacts?: Partial<ArtifactsApi> }).artifacts
  return api && typeof api.listArtifacts === 'function' && typeof api.downloadArtifact === 'function'
    ? (api as ArtifactsApi)
    : undefined
}
