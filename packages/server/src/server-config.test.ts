import { describe, expect, it } from 'vitest'
import { readEnvironmentConfig } from './server-config.js'

describe('readEnvironmentConfig', () => {
  it('reads the CAIRN_* variables and MLFLOW_TRUNCATE_LONG_VALUES', () => {
    expect(
      readEnvironmentConfig({
        CAIRN_BACKEND_STORE_URI: 'postgresql://db/cairn',
        CAIRN_DEFAULT_ARTIFACT_ROOT: 's3://bucket/root',
        CAIRN_ARTIFACTS_DESTINATION: '/data/artifacts',
        CAIRN_SERVE_ARTIFACTS: 'false',
        CAIRN_HOST: '0.0.0.0',
        CAIRN_PORT: '8080',
        CAIRN_WORKERS: '4',
        MLFLOW_TRUNCATE_LONG_VALUES: 'False',
      }),
    ).toEqual({
      backendStoreUri: 'postgresql://db/cairn',
      defaultArtifactRoot: 's3://bucket/root',
      artifactsDestination: '/data/artifacts',
      serveArtifacts: false,
      host: '0.0.0.0',
      port: 8080,
      workers: 4,
      truncateLongValues: false,
    })
  })

  it('defaults to truncating long values and leaves unset variables undefined', () => {
    const config = readEnvironmentConfig({ CAIRN_PORT: '' })
    expect(config.truncateLongValues).toBe(true)
    expect(config.port).toBeUndefined()
    expect(config.backendStoreUri).toBeUndefined()
    expect(readEnvironmentConfig({ MLFLOW_TRUNCATE_LONG_VALUES: '1' }).truncateLongValues).toBe(true)
  })

  it('names the variable that holds a malformed value', () => {
    expect(() => readEnvironmentConfig({ CAIRN_PORT: 'eighty' })).toThrow(/CAIRN_PORT/)
    expect(() => readEnvironmentConfig({ CAIRN_PORT: '70000' })).toThrow(/CAIRN_PORT/)
    expect(() => readEnvironmentConfig({ MLFLOW_TRUNCATE_LONG_VALUES: 'maybe' })).toThrow(
      /MLFLOW_TRUNCATE_LONG_VALUES/,
    )
  })
})
