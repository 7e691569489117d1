// Regression tests for MLflow's published artifact CVEs (path traversal, local file inclusion,
// arbitrary file write/delete, SSRF): each attack pattern, replayed against a real Cairn server.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../start-server.js'
import { startServer } from '../start-server.js'

const folder = mkdtempSync(path.join(tmpdir(), 'cairn-artifact-cves-'))
const destination = path.join(folder, 'artifacts')
const secretDirectory = path.join(folder, 'secret')
const SECRET = 'root:x:0:0:secret'
let server: RunningServer
let ssrfTarget: http.Server
let ssrfHits = 0
let ssrfUrl: string

interface RawResponse {
  status: number
  body: string
  headers: http.IncomingHttpHeaders
}

/** Sends the request target byte for byte (fetch and URL would fold `..` segments away first). */
function rawRequest(method: string, target: string, body?: string): Promise<RawResponse> {
  const { hostname, port } = new URL(server.url)
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port, method, path: target }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
      })
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: text, headers: response.headers }),
      )
    })
    request.on('error', reject)
    if (body !== undefined) request.setHeader('content-type', 'application/json')
    request.end(body)
  })
}

async function post(route: string, body: unknown): Promise<RawResponse> {
  return rawRequest('POST', route, JSON.stringify(body))
}

async function createExperimentAt(location: string): Promise<RawResponse> {
  return post('/ajax-api/2.0/mlflow/experiments/create', {
    name: `cve-${Math.random().toString(36).slice(2)}`,
    artifact_location: location,
  })
}

async function runIn(experimentId: string): Promise<string> {
  const created = await post('/api/2.0/mlflow/runs/create', { experiment_id: experimentId })
  expect(created.status, created.body).toBe(200)
  return JSON.parse(created.body).run.info.run_id as string
}

async function proxiedRun(): Promise<{ runId: string; base: string }> {
  const experiment = await post('/api/2.0/mlflow/experiments/create', { name: `cve-${Math.random()}` })
  const experimentId = JSON.parse(experiment.body).experiment_id as string
  const runId = await runIn(experimentId)
  return { runId, base: `${experimentId}/${runId}/artifacts` }
}

/** The answer must be an MLflow error (no secret, no 5xx), and nothing outside the roots may change. */
function expectRefused(response: RawResponse, statuses: number[] = [400]): void {
  expect(statuses, `${response.status} ${response.body}`).toContain(response.status)
  expect(response.body).not.toContain(SECRET)
  if (response.status === 400) expect(JSON.parse(response.body).error_code).toBe('INVALID_PARAMETER_VALUE')
}

function expectSecretUntouched(): void {
  expect(readdirSync(secretDirectory).sort()).toEqual(['passwd'])
  expect(readdirSync(folder).sort()).toEqual(
    ['artifacts', 'cairn.db', 'cairn.db-shm', 'cairn.db-wal', 'secret'].filter((name) =>
      existsSync(path.join(folder, name)),
    ),
  )
}

beforeAll(async () => {
  mkdirSync(secretDirectory, { recursive: true })
  writeFileSync(path.join(secretDirectory, 'passwd'), SECRET)
  ssrfTarget = http.createServer((_request, response) => {
    ssrfHits++
    response.end(SECRET)
  })
  await new Promise<void>((resolve) => ssrfTarget.listen(0, '127.0.0.1', resolve))
  ssrfUrl = `http://127.0.0.1:${(ssrfTarget.address() as AddressInfo).port}`
  server = await startServer({
    port: 0,
    backendStoreUri: `sqlite:///${path.join(folder, 'cairn.db')}`,
    artifactsDestination: destination,
    handleSignals: false,
  })
})

afterAll(async () => {
  await server?.close()
  await new Promise((resolve) => ssrfTarget?.close(resolve))
  rmSync(folder, { recursive: true, force: true })
})

describe('artifact CVE regressions', () => {
  it('CVE-2023-1177: /get-artifact with ../ in path cannot read files outside the run', async () => {
    const { runId } = await proxiedRun()
    const depth = '../'.repeat(12)
    for (const traversal of [`${depth}etc/passwd`, `${depth}${secretDirectory.slice(1)}/passwd`]) {
      expectRefused(
        await rawRequest('GET', `/get-artifact?run_uuid=${runId}&path=${encodeURIComponent(traversal)}`),
      )
      expectRefused(await rawRequest('GET', `/get-artifact?run_uuid=${runId}&path=${traversal}`))
    }
  })

  it('CVE-2023-2780 / CVE-2023-6975: backslash (\\..\\filename) traversal is refused', async () => {
    const { runId, base } = await proxiedRun()
    expectRefused(
      await rawRequest('GET', `/get-artifact?run_id=${runId}&path=..%5C..%5C..%5Csecret%5Cpasswd`),
    )
    expectRefused(
      await rawRequest(
        'GET',
        `/api/2.0/mlflow-artifacts/artifacts/${base}/..%5C..%5C..%5C..%5Csecret%5Cpasswd`,
      ),
    )
    expectRefused(await rawRequest('GET', `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=..%5C..`))
  })

  it('CVE-2023-6831 / CVE-2024-1560: DELETE with double-encoded ../ deletes nothing outside the destination', async () => {
    const created = await rawRequest('PUT', '/api/2.0/mlflow-artifacts/artifacts/victim/keep.txt', 'keep')
    expect(created.status).toBe(200)
    const encoded = '%252E%252E%252F'.repeat(3)
    expectRefused(
      await rawRequest('DELETE', `/api/2.0/mlflow-artifacts/artifacts/victim/${encoded}secret%252Fpasswd`),
    )
    expectRefused(
      await rawRequest('DELETE', '/api/2.0/mlflow-artifacts/artifacts/victim/%2e%2e/%2e%2e/secret'),
    )
    expectRefused(await rawRequest('DELETE', '/api/2.0/mlflow-artifacts/artifacts/victim/../../secret'))
    expect(existsSync(path.join(destination, 'victim', 'keep.txt'))).toBe(true)
    expectSecretUntouched()
  })

  it('CVE-2023-6976: PUT through the proxy cannot write outside the destination', async () => {
    for (const target of [
      '../../secret/evil.txt',
      '%2e%2e/%2e%2e/secret/evil.txt',
      '%252e%252e%252f%252e%252e%252fsecret%252fevil.txt',
      'x/..%2F..%2F..%2Fsecret%2Fevil.txt',
      '%2Ftmp%2Fevil.txt',
      'file:%2F%2F%2Ftmp%2Fevil.txt',
      'a%00b.txt',
    ]) {
      expectRefused(
        await rawRequest('PUT', `/api/2.0/mlflow-artifacts/artifacts/${target}`, 'evil'),
        [400, 404],
      )
    }
    expectSecretUntouched()
    expect(existsSync('/tmp/evil.txt')).toBe(false)
  })

  it('CVE-2023-6909: an artifact_location with ../ in its query string is refused', async () => {
    expectRefused(await createExperimentAt('http:///?/../../../../../../../../etc/'))
  })

  it('CVE-2024-1483 / CVE-2024-1594 / CVE-2024-2928 / CVE-2024-3848: fragments (#) in artifact_location are refused', async () => {
    expectRefused(await createExperimentAt('http:///#/../../../../../../../../etc/'))
    expectRefused(await createExperimentAt(`file://${secretDirectory}#/../`))
  })

  it('CVE-2024-3573 / CVE-2023-6977 / CVE-2023-2356: local artifact locations outside the configured roots are never served', async () => {
    for (const location of [
      secretDirectory,
      `file://${secretDirectory}`,
      `file:${secretDirectory}`,
      `//${secretDirectory.slice(1)}`,
      `file://localhost${secretDirectory}`,
    ]) {
      const experiment = await createExperimentAt(location)
      if (experiment.status !== 200) {
        expectRefused(experiment)
        continue
      }
      const experimentId = JSON.parse(experiment.body).experiment_id as string
      // The run root is <location>/<run id>/artifacts; climb back up to the secret with a planted run.
      const runId = await runIn(experimentId)
      expectRefused(await rawRequest('GET', `/get-artifact?run_id=${runId}&path=passwd`), [400, 404])
      expectRefused(await rawRequest('GET', `/api/2.0/mlflow/artifacts/list?run_id=${runId}`))
      expectRefused(
        await rawRequest('POST', `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=evil.txt`, 'x'),
      )
    }
    expectSecretUntouched()
  })

  it('CVE-2024-8859: an unsupported artifact scheme with an odd upload path is refused, not resolved locally', async () => {
    const experiment = await createExperimentAt('dbfs:/')
    expect(experiment.status).toBe(200)
    const runId = await runIn(JSON.parse(experiment.body).experiment_id)
    expectRefused(
      await rawRequest('POST', `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=a%3F/a`, 'x'),
    )
    expectRefused(await rawRequest('GET', `/get-artifact?run_id=${runId}&path=a%3F/a`))
  })

  it('SSRF: an http(s) artifact location is never fetched by the server', async () => {
    const experiment = await createExperimentAt(`${ssrfUrl}/latest/meta-data`)
    expect(experiment.status).toBe(200)
    const runId = await runIn(JSON.parse(experiment.body).experiment_id)
    expectRefused(await rawRequest('GET', `/api/2.0/mlflow/artifacts/list?run_id=${runId}`))
    expectRefused(await rawRequest('GET', `/get-artifact?run_id=${runId}&path=x`))
    expectRefused(
      await rawRequest('POST', `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=x`, 'x'),
    )
    expect(ssrfHits).toBe(0)
  })

  it('no symlink planted in the destination leads out of it', async () => {
    const { symlinkSync } = await import('node:fs')
    mkdirSync(path.join(destination, 'planted'), { recursive: true })
    symlinkSync(secretDirectory, path.join(destination, 'planted', 'link'))
    expectRefused(await rawRequest('GET', '/api/2.0/mlflow-artifacts/artifacts/planted/link/passwd'))
    expectRefused(await rawRequest('PUT', '/api/2.0/mlflow-artifacts/artifacts/planted/link/evil.txt', 'x'))
    expectRefused(await rawRequest('GET', '/api/2.0/mlflow-artifacts/artifacts?path=planted/link'))
    expectSecretUntouched()
  })
})
