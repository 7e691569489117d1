import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CairnClient } from './cairn-client.js'
import { buildProject } from './test-support/build-project.js'
import { startTestServer, type TestServer, uniqueName } from './test-support/test-server.js'

const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const SDK_DIST = pathToFileURL(join(REPO, 'packages/sdk/dist/index.js')).href

let server: TestServer
let client: CairnClient

beforeAll(async () => {
  await buildProject(REPO, 'packages/sdk')
  server = await startTestServer()
  client = new CairnClient({ trackingUri: server.url })
}, 120_000)

afterAll(async () => {
  await server?.close()
})

/** Runs a script that uses the built SDK in a child Node process. */
async function runScript(body: string, options: { signalAfterOutput?: NodeJS.Signals } = {}) {
  const file = join(server.directory, `${uniqueName('script')}.mjs`)
  await writeFile(
    file,
    `import * as sdk from ${JSON.stringify(SDK_DIST)}\nsdk.configure({ trackingUri: process.env.URL, flushIntervalMs: 60000 })\n${body}\n`,
  )
  const child = spawn(process.execPath, [file], { env: { ...process.env, URL: server.url }, stdio: 'pipe' })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    if (options.signalAfterOutput && stdout.includes('\n')) child.kill(options.signalAfterOutput)
  })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  )
  return { code, signal, stdout, stderr, runId: stdout.trim().split('\n')[0] ?? '' }
}

describe('exit hooks', () => {
  it('flush queued writes and end the active run FINISHED when the process exits by itself', async () => {
    const result = await runScript(`
const run = await sdk.startRun({ experimentName: ${JSON.stringify(uniqueName('exit'))} })
for (let step = 0; step < 1200; step++) sdk.logMetric('m', step, { step })
sdk.logParam('p', 'v')
console.log(run.runId)
`)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const stored = await client.getRun(result.runId)
    expect(stored.info.status).toBe('FINISHED')
    expect(stored.data.params).toEqual([{ key: 'p', value: 'v' }])
    expect(await client.getMetricHistoryAll({ runId: result.runId, metricKey: 'm' }).toArray()).toHaveLength(
      1200,
    )
  })

  it('end the active run KILLED on SIGTERM after flushing, then let the signal end the process', async () => {
    const result = await runScript(
      `
const run = await sdk.startRun({ experimentName: ${JSON.stringify(uniqueName('sigterm'))} })
for (let step = 0; step < 10; step++) sdk.logMetric('m', step, { step })
console.log(run.runId)
setInterval(() => {}, 1000)
`,
      { signalAfterOutput: 'SIGTERM' },
    )
    expect(result.signal).toBe('SIGTERM')
    const stored = await client.getRun(result.runId)
    expect(stored.info.status).toBe('KILLED')
    expect(await client.getMetricHistoryAll({ runId: result.runId, metricKey: 'm' }).toArray()).toHaveLength(
      10,
    )
  })

  it('report a write refused at exit on stderr with a non-zero exit code', async () => {
    const result = await runScript(`
const run = await sdk.startRun({ experimentName: ${JSON.stringify(uniqueName('refused'))} })
sdk.logParam('p', 'a')
await sdk.flush()
sdk.logParam('p', 'b')
console.log(run.runId)
`)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('Changing param values is not allowed')
    expect((await client.getRun(result.runId)).info.status).toBe('FINISHED')
  })
})
