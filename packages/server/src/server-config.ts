import { z } from 'zod'

const booleanText = z
  .string()
  .trim()
  .toLowerCase()
  .refine((text) => ['true', 'false', '1', '0'].includes(text), {
    error: (issue) => `expected true, false, 1 or 0, got '${String(issue.input)}'`,
  })
  .transform((text) => text === 'true' || text === '1')

const ENV_SCHEMA = z.object({
  CAIRN_BACKEND_STORE_URI: z.string().min(1).optional(),
  CAIRN_DEFAULT_ARTIFACT_ROOT: z.string().min(1).optional(),
  CAIRN_ARTIFACTS_DESTINATION: z.string().min(1).optional(),
  CAIRN_SERVE_ARTIFACTS: booleanText.optional(),
  CAIRN_ARTIFACTS_ONLY: booleanText.optional(),
  CAIRN_HOST: z.string().min(1).optional(),
  CAIRN_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  CAIRN_WORKERS: z.coerce.number().int().min(1).max(256).optional(),
  MLFLOW_TRUNCATE_LONG_VALUES: booleanText.optional(),
})

/** Server settings read from the environment (each `ServerOptions` field wins over its variable). */
export interface EnvironmentConfig {
  backendStoreUri?: string
  defaultArtifactRoot?: string
  artifactsDestination?: string
  serveArtifacts?: boolean
  artifactsOnly?: boolean
  host?: string
  port?: number
  workers?: number
  /** MLFLOW_TRUNCATE_LONG_VALUES: truncate long param and tag values (default true). */
  truncateLongValues: boolean
}

/**
 * Parses the server's environment variables once, at startup. A malformed value is an error
 * naming the variable.
 */
export function readEnvironmentConfig(env: NodeJS.ProcessEnv = process.env): EnvironmentConfig {
  const emptyIsUnset = Object.fromEntries(
    Object.keys(ENV_SCHEMA.shape).map((name) => [name, env[name] === '' ? undefined : env[name]]),
  )
  const result = ENV_SCHEMA.safeParse(emptyIsUnset)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new Error(`Invalid environment variable ${String(issue?.path[0])}: ${issue?.message}`)
  }
  const parsed = result.data
  return {
    backendStoreUri: parsed.CAIRN_BACKEND_STORE_URI,
    defaultArtifactRoot: parsed.CAIRN_DEFAULT_ARTIFACT_ROOT,
    artifactsDestination: parsed.CAIRN_ARTIFACTS_DESTINATION,
    serveArtifacts: parsed.CAIRN_SERVE_ARTIFACTS,
    artifactsOnly: parsed.CAIRN_ARTIFACTS_ONLY,
    host: parsed.CAIRN_HOST,
    port: parsed.CAIRN_PORT,
    workers: parsed.CAIRN_WORKERS,
    truncateLongValues: parsed.MLFLOW_TRUNCATE_LONG_VALUES ?? true,
  }
}
