import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { text } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { openArtifactRepository, openDestinationRepository, parseArtifactUri } from './artifact-uri.js'

describe('parseArtifactUri', () => {
  it.each([
    ['mlflow-artifacts:/1/abc/artifacts', { kind: 'proxied', path: '1/abc/artifacts' }],
    ['mlflow-artifacts://host:5000/1/abc/artifacts', { kind: 'proxied', path: '1/abc/artifacts' }],
    ['mlflow-artifacts:/', { kind: 'proxied', path: '' }],
    [
      'http://host:5000/api/2.0/mlflow-artifacts/artifacts/2/r/artifacts',
      { kind: 'proxied', path: '2/r/artifacts' },
    ],
    ['s3://bucket/prefix/x', { kind: 's3', uri: 's3://bucket/prefix/x' }],
    ['file:///data/a', { kind: 'local', directory: '/data/a' }],
    ['/data/b', { kind: 'local', directory: '/data/b' }],
    ['runs:/0123abc/model', { kind: 'run', runId: '0123abc', path: 'model' }],
    ['runs:/0123abc', { kind: 'run', runId: '0123abc', path: '' }],
  ])('reads %j', (uri, expected) => {
    expect(parseArtifactUri(uri)).toEqual(expected)
  })

  it.each([
    'mlflow-artifacts:/1/../../etc',
    'mlflow-artifacts:/%2e%2e/x',
    'runs:/abc/../../x',
    'http://169.254.169.254/latest/meta-data/',
    'gopher://internal:70/x',
    'ftp://host/x',
    'relative/path',
    's3://bucket/root/../other',
    's3://bucket/root/%2e%2e/other',
    's3://bucket/root/%252e%252e/other',
    's3://bucket/root/./x',
    's3://bucket/root\\..\\other',
  ])('refuses %j with INVALID_PARAMETER_VALUE', (uri) => {
    expect(() => parseArtifactUri(uri)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }))
  })
})

describe('openArtifactRepository', () => {
  it('resolves mlflow-artifacts: and runs:/ URIs below the destination', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-uri-'))
    try {
      const destination = await openDestinationRepository(folder)
      await destination.write('7/run1/artifacts/model/MLmodel', Buffer.from('m'))
      const proxied = await openArtifactRepository('mlflow-artifacts:/7/run1/artifacts', {
        proxiedDestination: destination,
      })
      expect(await text(await proxied.read('model/MLmodel'))).toBe('m')
      const viaRun = await openArtifactRepository('runs:/run1/model', {
        proxiedDestination: destination,
        resolveRunArtifactUri: async (runId) => `mlflow-artifacts:/7/${runId}/artifacts`,
      })
      expect(await text(await viaRun.read('MLmodel'))).toBe('m')
      const local = await openArtifactRepository(`file://${folder}/7/run1/artifacts`)
      expect(await text(await local.read('model/MLmodel'))).toBe('m')
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })

  it('needs a destination for mlflow-artifacts: URIs', async () => {
    await expect(openArtifactRepository('mlflow-artifacts:/1')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
  })
})
