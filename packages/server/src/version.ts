import { readFileSync } from 'node:fs'

function readVersion(): string {
  try {
    // src/ and dist/ both sit one level below the package root.
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8')
    return (JSON.parse(text) as { version?: string }).version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

/** Cairn's own version (the `X-Cairn-Version` header and the OpenAPI document carry it). */
export const SERVER_VERSION = readVersion()

/**
 * The MLflow version whose API Cairn serves. `GET /version` answers with it because MLflow
 * clients compare it to decide which calls the server supports (e.g. span logging needs ≥ 3.4).
 */
export const MLFLOW_COMPATIBLE_VERSION = '3.6.0'
