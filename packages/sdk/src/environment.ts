/** Default tracking server address, as `mlflow server` listens by default. */
export const DEFAULT_TRACKING_URI = 'http://127.0.0.1:5000'

/**
 * Reads an environment variable when a `process` global exists (Node, Bun, Deno's Node mode);
 * answers `undefined` in browsers. Empty values count as unset.
 */
export function readEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  const value = env?.[name]
  return value === undefined || value === '' ? undefined : value
}

/** The first of the named environment variables that is set. */
export function readFirstEnv(...names: string[]): string | undefined {
  for (const name of names) {
    const value = readEnv(name)
    if (value !== undefined) return value
  }
  return undefined
}

/** `CAIRN_TRACKING_URI` ?? `MLFLOW_TRACKING_URI` ?? `http://127.0.0.1:5000`. */
export function defaultTrackingUri(): string {
  return readFirstEnv('CAIRN_TRACKING_URI', 'MLFLOW_TRACKING_URI') ?? DEFAULT_TRACKING_URI
}

/** Whether this code runs in Node (not in a browser or a worker without `process`). */
export function isNode(): boolean {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process
  return typeof process?.versions?.node === 'string'
}
