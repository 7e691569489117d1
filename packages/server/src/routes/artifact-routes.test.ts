import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStore } from '../../../store/src/test-support/index.js'
import { createApp } from '../app.js'
import type { ArtifactSettings } from '../services/artifact-service.js'
import { apiClient } from '../test-support/api-client.js'
import { describeEachStore } from '../test-support/store-fixtures.js'
import { AJAX, API, createExperiment, createRun, expectError, expectOk } from '../test-support/test-data.js'

const PROXY = '/api/2.0/mlflow-artifacts/artifacts'
const destination = mkdtempSync(path.join(tmpdir(), 'cairn-artifact-routes-'))
const ARTIFACTS = { serveArtifacts: true, artifactsOnly: false, destination }

describeEachStore(
  'artifact routes',
  (context) => {
    const put = (artifactPath: string, body: string) =>
      context.app.request(`${PROXY}/${artifactPath}`, { method: 'PUT', body })

    async function runWithArtifacts(files: Record<string, string>) {
      const experimentId = await createExperiment(context.api)
      const run = await createRun(context.api, experimentId)
      const runId = run.info.run_id as string
      expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/${experimentId}/${runId}/artifacts`)
      const base = `${experimentId}/${runId}/artifacts`
      for (const [name, content] of Object.entries(files))
        expect((await put(`${base}/${name}`, content)).status).toBe(200)
      return { experimentId, runId, base }
    }

    it('uploads through the proxy, downloads with attachment headers, lists basenames and deletes', async () => {
      const { base } = await runWithArtifacts({ 'dir/hello.txt': 'hello', 'model.pkl': 'binary' })
      expect(readFileSync(path.join(destination, base, 'dir', 'hello.txt'), 'utf8')).toBe('hello')

      const download = await context.app.request(`${PROXY}/${base}/dir/hello.txt`)
      expect(download.status).toBe(200)
      expect(await download.text()).toBe('hello')
      expect(download.headers.get('content-type')).toBe('text/plain')
      expect(download.headers.get('content-disposition')).toBe('attachment; filename=hello.txt')
      expect(download.headers.get('x-content-type-options')).toBe('nosniff')
      expect(download.headers.get('content-length')).toBe('5')

      const listing = await context.api.get(PROXY, { path: base })
      expect(listing.body).toEqual({
        files: [
          { path: 'dir', is_dir: true },
          { path: 'model.pkl', is_dir: false, file_size: 6 },
        ],
      })
      expect((await context.api.get(PROXY, { path: `${base}/nothing` })).body).toEqual({})

      const deleted = await context.app.request(`${PROXY}/${base}/dir`, { method: 'DELETE' })
      expect(deleted.status).toBe(200)
      expect(existsSync(path.join(destination, base, 'dir'))).toBe(false)
      expectError(await context.api.get(`${PROXY}/${base}/dir/hello.txt`), 404, 'RESOURCE_DOES_NOT_EXIST')
    })

    it('answers a Range request with 206 and an unsatisfiable one with 416', async () => {
      const { base } = await runWithArtifacts({ 'digits.bin': '0123456789' })
      const partial = await context.app.request(`${PROXY}/${base}/digits.bin`, {
        headers: { Range: 'bytes=2-5' },
      })
      expect(partial.status).toBe(206)
      expect(partial.headers.get('content-range')).toBe('bytes 2-5/10')
      expect(await partial.text()).toBe('2345')
      const suffix = await context.app.request(`${PROXY}/${base}/digits.bin`, {
        headers: { Range: 'bytes=-3' },
      })
      expect([suffix.status, await suffix.text()]).toEqual([206, '789'])
      const beyond = await context.app.request(`${PROXY}/${base}/digits.bin`, {
        headers: { Range: 'bytes=50-' },
      })
      expect(beyond.status).toBe(416)
      expect(beyond.headers.get('content-range')).toBe('bytes */10')
    })

    it('lists run artifacts with run-relative paths and pages them', async () => {
      const files = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`logs/f${i}.txt`, `${i}`]))
      const { runId, experimentId } = await runWithArtifacts({ ...files, 'top.json': '{}' })
      const root = await context.api.get(`${API}/artifacts/list`, { run_id: runId })
      expectOk(root)
      expect(root.body).toEqual({
        root_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
        files: [
          { path: 'logs', is_dir: true },
          { path: 'top.json', is_dir: false, file_size: 2 },
        ],
      })
      const seen: string[] = []
      let token: string | undefined
      do {
        const page = await context.api.get(`${AJAX}/artifacts/list`, {
          run_uuid: runId,
          run_id: runId,
          path: 'logs',
          max_results: 2,
          page_token: token,
        })
        expectOk(page)
        seen.push(...page.body.files.map((file: { path: string }) => file.path))
        token = page.body.next_page_token
      } while (token)
      expect(seen).toEqual(Object.keys(files))
      expectError(
        await context.api.get(`${API}/artifacts/list`, { run_id: 'f'.repeat(32) }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      )
      expectError(
        await context.api.get(`${API}/artifacts/list`, { run_id: runId, page_token: 'garbage' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
    })

    it('serves /get-artifact as an attachment with MLflow content types, never HTML inline', async () => {
      const { runId } = await runWithArtifacts({
        'model/MLmodel': 'flavors: {}',
        'report.html': '<script>alert(1)</script>',
        'plot.png': 'png',
      })
      const mlmodel = await context.app.request(`/get-artifact?run_id=${runId}&path=model/MLmodel`)
      expect([mlmodel.status, mlmodel.headers.get('content-type')]).toEqual([200, 'text/plain'])
      expect(await mlmodel.text()).toBe('flavors: {}')
      const html = await context.app.request(`/get-artifact?run_uuid=${runId}&path=report.html`)
      expect(html.status).toBe(200)
      expect(html.headers.get('content-type')).toBe('text/html')
      expect(html.headers.get('content-disposition')).toBe('attachment; filename=report.html')
      expect(html.headers.get('content-security-policy')).toContain('sandbox')
      expect(html.headers.get('x-content-type-options')).toBe('nosniff')
      const png = await context.app.request(`/get-artifact?run_id=${runId}&path=plot.png`)
      expect(png.headers.get('content-type')).toBe('image/png')
      expectError(
        await context.api.get('/get-artifact', { run_id: runId, path: 'missing.txt' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      )
      expectError(
        await context.api.get('/get-artifact', { run_id: runId, path: 'model' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
    })

    it('accepts the UI upload-artifact up to 10 MB', async () => {
      const { runId, base } = await runWithArtifacts({})
      const uploaded = await context.app.request(
        `${AJAX}/upload-artifact?run_uuid=${runId}&path=notes/a.txt`,
        {
          method: 'POST',
          body: 'note',
        },
      )
      expect(uploaded.status).toBe(200)
      expect(readFileSync(path.join(destination, base, 'notes', 'a.txt'), 'utf8')).toBe('note')
      const empty = await context.api.send(
        'POST',
        `${AJAX}/upload-artifact?run_uuid=${runId}&path=b.txt`,
        undefined,
        {
          rawBody: '',
          headers: {},
        },
      )
      expectError(empty, 400, 'INVALID_PARAMETER_VALUE')
      const large = await context.app.request(`${AJAX}/upload-artifact?run_uuid=${runId}&path=c.txt`, {
        method: 'POST',
        body: new Uint8Array(10 * 1024 * 1024 + 1),
      })
      expect(large.status).toBe(400)
      expect(existsSync(path.join(destination, base, 'c.txt'))).toBe(false)
    })

    it('stops reading a chunked UI upload once it passes 10 MB', async () => {
      const { runId, base } = await runWithArtifacts({})
      const chunk = new Uint8Array(1024 * 1024)
      let pulled = 0
      const endless = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled += chunk.byteLength
          if (pulled > 200 * 1024 * 1024) controller.close()
          else controller.enqueue(chunk)
        },
      })
      const response = await context.app.request(`${AJAX}/upload-artifact?run_uuid=${runId}&path=big.bin`, {
        method: 'POST',
        body: endless,
        duplex: 'half',
      } as RequestInit)
      expect(response.status).toBe(400)
      expect(((await response.json()) as { error_code: string }).error_code).toBe('INVALID_PARAMETER_VALUE')
      expect(pulled).toBeLessThan(32 * 1024 * 1024)
      expect(existsSync(path.join(destination, base, 'big.bin'))).toBe(false)
    })

    it('answers multipart calls with NOT_IMPLEMENTED on a local destination, as MLflow', async () => {
      const response = await context.api.post('/api/2.0/mlflow-artifacts/mpu/create/1/run/artifacts', {
        path: '/tmp/model.bin',
        num_parts: 2,
      })
      expect(expectError(response, 501, 'NOT_IMPLEMENTED')).toBe(
        'Multipart upload is not supported for the current artifact repository',
      )
    })
  },
  { artifacts: ARTIFACTS },
)

describe('artifact server modes', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  async function appWith(settings: Partial<ArtifactSettings>) {
    const testStore = await createTestStore('sqlite')
    cleanups.push(() => testStore.cleanup())
    const app = createApp({ store: testStore.store, artifacts: { ...ARTIFACTS, ...settings } })
    return { app, api: apiClient(app) }
  }

  it('answers the proxy with 503 under --no-serve-artifacts', async () => {
    const { app, api } = await appWith({ serveArtifacts: false })
    for (const response of [
      await app.request(`${PROXY}/a.txt`, { method: 'PUT', body: 'x' }),
      await app.request(`${PROXY}/a.txt`),
      await app.request(`${PROXY}?path=`),
      await app.request('/api/2.0/mlflow-artifacts/mpu/create/x', { method: 'POST', body: '{}' }),
    ]) {
      expect(response.status).toBe(503)
      expect(await response.text()).toContain('--no-serve-artifacts')
    }
    expect(existsSync(path.join(destination, 'a.txt'))).toBe(false)
    expectOk(await api.get(`${API}/experiments/get`, { experiment_id: '0' }))
  })

  it('refuses a run root that climbs out of an S3 root with dot segments', async () => {
    const { api } = await appWith({
      defaultArtifactRoot: 's3://bucket/root',
      s3: { endpoint: 'http://127.0.0.1:9', region: 'us-east-1' },
    })
    for (const location of ['s3://bucket/root/../secret', 's3://bucket/root/%2e%2e/secret']) {
      const created = await api.post(`${API}/experiments/create`, {
        name: `s3-dots-${Math.random()}`,
        artifact_location: location,
      })
      expectOk(created)
      const experimentId = created.body.experiment_id as string
      const runId = (await createRun(api, experimentId)).info.run_id as string
      expectError(await api.get(`${API}/artifacts/list`, { run_id: runId }), 400, 'INVALID_PARAMETER_VALUE')
      expectError(
        await api.get('/get-artifact', { run_id: runId, path: 'a.txt' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
    }
  })

  it('answers tracking endpoints with 503 under --artifacts-only while the proxy works', async () => {
    const { app } = await appWith({ artifactsOnly: true })
    const tracking = await app.request(`${API}/experiments/get?experiment_id=0`)
    expect(tracking.status).toBe(503)
    expect(await tracking.text()).toContain('--artifacts-only')
    expect((await app.request(`${AJAX}/runs/search`, { method: 'POST', body: '{}' })).status).toBe(503)
    expect((await app.request('/get-artifact?run_id=x&path=y')).status).toBe(503)
    expect((await app.request(`${PROXY}/only/a.txt`, { method: 'PUT', body: 'ok' })).status).toBe(200)
    expect(await (await app.request(`${PROXY}/only/a.txt`)).text()).toBe('ok')
  })
})

describe('artifact proxy on an S3 destination (s3rver)', () => {
  let s3: Awaited<ReturnType<typeof import('../../../artifacts/src/test-support/s3rver.js').startS3rver>>
  let app: ReturnType<typeof createApp>
  const previousEnv = { ...process.env }
  const cleanups: Array<() => Promise<void>> = []

  beforeAll(async () => {
    const { startS3rver } = await import('../../../artifacts/src/test-support/s3rver.js')
    s3 = await startS3rver()
    Object.assign(process.env, s3.env)
    const testStore = await createTestStore('sqlite')
    cleanups.push(
      () => testStore.cleanup(),
      () => s3.close(),
    )
    app = createApp({
      store: testStore.store,
      artifacts: { serveArtifacts: true, artifactsOnly: false, destination: `s3://${s3.bucket}/proxied` },
    })
  })
  afterAll(async () => {
    process.env = previousEnv
    for (const cleanup of cleanups) await cleanup()
  })

  it('streams uploads and ranged downloads through S3', async () => {
    expect((await app.request(`${PROXY}/1/r/artifacts/a.txt`, { method: 'PUT', body: 'on s3' })).status).toBe(
      200,
    )
    expect(await (await app.request(`${PROXY}/1/r/artifacts/a.txt`)).text()).toBe('on s3')
    const ranged = await app.request(`${PROXY}/1/r/artifacts/a.txt`, { headers: { Range: 'bytes=3-' } })
    expect([ranged.status, await ranged.text()]).toEqual([206, 's3'])
    const listing = await apiClient(app).get(PROXY, { path: '1/r/artifacts' })
    expect(listing.body).toEqual({ files: [{ path: 'a.txt', is_dir: false, file_size: 5 }] })
  })

  it('runs MLflow multipart uploads: create, PUT each part to its URL, complete', async () => {
    const api = apiClient(app)
    const created = await api.post('/api/2.0/mlflow-artifacts/mpu/create/1/r/artifacts/mpu', {
      path: '/home/me/big.bin',
      num_parts: 2,
    })
    expectOk(created)
    expect(created.body.credentials).toHaveLength(2)
    const parts = [Buffer.alloc(5 * 1024 * 1024, 1), Buffer.from('tail')]
    const uploaded = []
    for (const [index, credential] of (
      created.body.credentials as Array<{ url: string; part_number: number }>
    ).entries()) {
      const response = await app.request(credential.url, { method: 'PUT', body: parts[index] })
      expect(response.status).toBe(200)
      uploaded.push({
        part_number: credential.part_number,
        etag: response.headers.get('etag'),
        url: credential.url,
      })
    }
    expectOk(
      await api.post('/api/2.0/mlflow-artifacts/mpu/complete/1/r/artifacts/mpu', {
        path: '/home/me/big.bin',
        upload_id: created.body.upload_id,
        parts: uploaded,
      }),
    )
    const listing = await api.get(PROXY, { path: '1/r/artifacts/mpu' })
    expect(listing.body).toEqual({
      files: [{ path: 'big.bin', is_dir: false, file_size: parts[0]!.length + 4 }],
    })
    expectError(
      await api.post('/api/2.0/mlflow-artifacts/mpu/create/1/r/artifacts', { path: '..', num_parts: 1 }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
  })
})
