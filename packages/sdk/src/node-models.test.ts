import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { MlflowError } from '@cairn/core'
import { predictionsToJson, readMlModel } from '@cairn/models'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  IS_CI,
  POSTGRES_PROBLEM,
  STORE_KINDS,
  type StoreKind,
  type TestDatabase,
} from '../../store/src/test-support/index.js'
import { CairnClient } from './cairn-client.js'
import { configure, endRun, logMetric, startRun } from './fluent.js'
import { downloadModel, loadModel, logModel } from './node-models.js'
import { uniqueName } from './test-support/test-server.js'

const ONNX_FIXTURES = fileURLToPath(new URL('../../models/src/flavors/onnx/__fixtures__/', import.meta.url))

let workspace: string

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'cairn-sdk-models-'))
})

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true })
})

/** A JS model folder whose module uses `tiny-scale`, a package that exists only in its own node_modules. */
async function makeModelSource(options: { lockfile?: boolean } = {}): Promise<string> {
  const source = await mkdtemp(path.join(workspace, 'source-'))
  await writeFile(
    path.join(source, 'package.json'),
    JSON.stringify({
      name: 'scaler',
      version: '1.0.0',
      type: 'module',
      dependencies: { 'tiny-scale': '1.0.0' },
    }),
  )
  if (options.lockfile ?? true) {
    await writeFile(
      path.join(source, 'package-lock.json'),
      JSON.stringify({ lockfileVersion: 3, packages: {} }),
    )
  }
  const dependency = path.join(source, 'node_modules', 'tiny-scale')
  await mkdir(dependency, { recursive: true })
  await writeFile(
    path.join(dependency, 'package.json'),
    JSON.stringify({ name: 'tiny-scale', version: '1.0.0', type: 'module', exports: './index.js' }),
  )
  await writeFile(path.join(dependency, 'index.js'), 'export const scale = (x) => x * 10\n')
  await writeFile(
    path.join(source, 'model.mjs'),
    [
      "import { scale } from 'tiny-scale'",
      'export const rowBatchable = true',
      'export function predict(input) {',
      "  const at = input.columns.indexOf('x')",
      "  return { kind: 'dataframe', columns: ['y'], rows: input.rows.map((row) => [scale(row[at])]) }",
      '}',
      '',
    ].join('\n'),
  )
  return source
}

const SIGNATURE = {
  inputs: [
    { type: 'double', name: 'x', required: true },
    { type: 'string', name: 'label', required: false },
  ],
} as const

const INPUT = { kind: 'dataframe', columns: ['x'], rows: [[1.5], [2]] } as const
const EXPECTED = { kind: 'dataframe', columns: ['y'], rows: [[15], [20]] }

async function startServer(options: { backendStoreUri: string; local?: boolean }) {
  const directory = await mkdtemp(path.join(workspace, 'server-'))
  const { startServer: start } = await import('@cairn/server')
  const server = await start({
    host: '127.0.0.1',
    port: 0,
    backendStoreUri: options.backendStoreUri,
    ...(options.local
      ? { defaultArtifactRoot: path.join(directory, 'artifacts'), serveArtifacts: false }
      : { artifactsDestination: path.join(directory, 'artifacts') }),
    handleSignals: false,
  })
  return {
    client: new CairnClient({ trackingUri: server.url, retries: { maxRetries: 0 } }),
    close: server.close,
  }
}

for (const kind of STORE_KINDS as readonly StoreKind[]) {
  const skip = kind === 'postgres' && POSTGRES_PROBLEM !== undefined && !IS_CI
  describe.skipIf(skip)(`logModel / loadModel against a Cairn server [${kind}]`, () => {
    let database: TestDatabase
    let client: CairnClient
    let close: () => Promise<void>

    beforeAll(async () => {
      database = await createTestDatabase(kind)
      ;({ client, close } = await startServer({ backendStoreUri: database.uri }))
    })

    afterAll(async () => {
      await close?.()
      await database?.drop()
    })

    async function newRun() {
      const experimentId = await client.createExperiment({ name: uniqueName('sdk-models') })
      return client.createRun({ experimentId })
    }

    it('logs a JS model, registers it, and loads it by every URI form', async () => {
      const run = await newRun()
      const runId = run.info.runId
      await client.logParam({ runId, key: 'epochs', value: '3' })
      await client.logMetric({ runId, key: 'auc', value: 0.9, step: 0 })
      const name = uniqueName('scaler')
      const logged = await logModel(client, {
        runId,
        name: 'model',
        model: { flavor: 'js', source: await makeModelSource(), entry: 'model.mjs' },
        signature: SIGNATURE,
        registeredModelName: name,
        params: { alpha: 0.5 },
        tags: { team: 'ml' },
      })

      expect(logged.modelUri).toMatch(/^models:\/m-[0-9a-f]{32}$/)
      expect(logged.loggedModel).toMatchObject({
        modelId: logged.modelId,
        name: 'model',
        status: 'LOGGED_MODEL_READY',
        sourceRunId: runId,
        experimentId: run.info.experimentId,
      })
      expect(logged.loggedModel.params).toEqual(
        expect.arrayContaining([
          { key: 'alpha', value: '0.5' },
          { key: 'epochs', value: '3' },
        ]),
      )
      expect(logged.loggedModel.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'ml' }]))
      expect(logged.modelVersion).toMatchObject({
        name,
        version: '1',
        source: logged.modelUri,
        modelId: logged.modelId,
        runId,
      })
      expect(logged.mlModel).toMatchObject({
        artifact_path: logged.loggedModel.artifactUri,
        run_id: runId,
        model_id: logged.modelId,
        model_uuid: logged.modelId,
      })
      const after = await client.getRun(runId)
      expect(after.outputs.modelOutputs).toEqual([{ modelId: logged.modelId, step: 0 }])
      const model = await client.registry.getLoggedModel(logged.modelId)
      expect(model.metrics.map((metric) => [metric.key, metric.value])).toEqual([['auc', 0.9]])

      await client.registry.setRegisteredModelAlias(name, 'champion', 1)
      await client.registry.transitionModelVersionStage({ name, version: 1, stage: 'Production' })
      for (const uri of [
        logged.modelUri,
        `models:/${name}/1`,
        `models:/${name}@champion`,
        `models:/${name}/latest`,
        `models:/${name}/Production`,
        `runs:/${runId}/model`,
        logged.loggedModel.artifactUri,
      ]) {
        const model = await loadModel(client, uri)
        expect({ uri, flavor: model.flavor, rowBatchable: model.rowBatchable }).toEqual({
          uri,
          flavor: 'js',
          rowBatchable: true,
        })
        expect(await model.predict(INPUT)).toEqual(EXPECTED)
        expect(model.metadata.model_id).toBe(logged.modelId)
        await model.close()
      }
    })

    it('logs an ONNX model from a file with an input example and serves it by alias', async () => {
      const run = await newRun()
      const name = uniqueName('diabetes')
      const expected = JSON.parse(await readFile(path.join(ONNX_FIXTURES, 'expected.json'), 'utf8')) as {
        diabetes: { rows: number[][]; predictions: number[] }
      }
      const logged = await logModel(client, {
        runId: run.info.runId,
        name: 'regressor',
        model: { flavor: 'onnx', onnx: path.join(ONNX_FIXTURES, 'diabetes-linreg.onnx') },
        inputExample: { kind: 'tensor', value: expected.diabetes.rows.slice(0, 2) },
        registeredModelName: name,
      })
      expect(Object.keys(logged.mlModel.flavors).sort()).toEqual(['onnx', 'python_function'])
      await client.registry.setRegisteredModelAlias(name, 'prod', logged.modelVersion!.version)
      const directory = await downloadModel(client, `models:/${name}@prod`)
      expect(await readMlModel(directory)).toEqual(logged.mlModel)
      expect(JSON.parse(await readFile(path.join(directory, 'serving_input_example.json'), 'utf8'))).toEqual({
        inputs: expected.diabetes.rows.slice(0, 2),
      })
      const model = await loadModel(client, `models:/${name}@prod`)
      expect(model.flavor).toBe('onnx')
      const output = await model.predict({ kind: 'tensor', value: expected.diabetes.rows })
      const predicted = (predictionsToJson(output) as { variable: number[][] }).variable.flat()
      expect(predicted).toHaveLength(expected.diabetes.predictions.length)
      predicted.forEach((value, index) => {
        expect(value).toBeCloseTo(expected.diabetes.predictions[index]!, 3)
      })
      await model.close()
    })

    it('downloads a model into a chosen folder with its node_modules', async () => {
      const run = await newRun()
      const logged = await logModel(client, {
        runId: run.info.runId,
        name: 'scaler',
        model: { flavor: 'js', source: await makeModelSource(), entry: 'model.mjs' },
      })
      const destination = path.join(workspace, uniqueName('download'))
      const directory = await downloadModel(client, logged.modelUri, destination)
      expect(directory).toBe(destination)
      expect((await readMlModel(directory)).flavors.js?.entry).toBe('js/model.mjs')
      expect(await readMlModel(directory)).toEqual(logged.mlModel)
      expect(logged.mlModel).toMatchObject({ run_id: run.info.runId, model_uuid: logged.modelId })
      expect(
        await readFile(path.join(directory, 'js', 'node_modules', 'tiny-scale', 'index.js'), 'utf8'),
      ).toContain('x * 10')
      const viaRun = await downloadModel(
        client,
        `runs:/${run.info.runId}/scaler`,
        path.join(destination, 'run'),
      )
      expect(viaRun).toBe(path.join(destination, 'run', 'scaler'))
      expect((await stat(path.join(viaRun, 'MLmodel'))).isFile()).toBe(true)
    })

    it('enforces the signature: a missing column and a wrong type are input errors', async () => {
      const run = await newRun()
      const logged = await logModel(client, {
        runId: run.info.runId,
        name: 'model',
        model: { flavor: 'js', source: await makeModelSource(), entry: 'model.mjs' },
        signature: SIGNATURE,
      })
      const model = await loadModel(client, logged.modelUri)
      const missing = await model
        .predict({ kind: 'dataframe', columns: ['label'], rows: [['a']] })
        .catch((caught: unknown) => caught)
      expect(missing).toBeInstanceOf(MlflowError)
      expect((missing as MlflowError).httpStatus).toBe(400)
      expect((missing as MlflowError).message).toMatch(/missing/i)
      const wrongType = await model
        .predict({ kind: 'dataframe', columns: ['x'], rows: [['not a number']] })
        .catch((caught: unknown) => caught)
      expect(wrongType).toBeInstanceOf(MlflowError)
      expect((wrongType as MlflowError).httpStatus).toBe(400)
      expect((wrongType as MlflowError).message).toMatch(/x/)
    })

    it('marks the logged model failed when the model cannot be saved, and refuses unknown URIs', async () => {
      const run = await newRun()
      const error = await logModel(client, {
        runId: run.info.runId,
        name: 'broken',
        model: { flavor: 'js', source: await makeModelSource({ lockfile: false }), entry: 'model.mjs' },
      }).catch((caught: unknown) => caught)
      expect(error).toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining('lock'),
      })
      const { models } = await client.registry.searchLoggedModels({
        experimentIds: [run.info.experimentId],
        filter: "name = 'broken'",
      })
      expect(models.map((model) => model.status)).toEqual(['LOGGED_MODEL_UPLOAD_FAILED'])

      await expect(downloadModel(client, `runs:/${run.info.runId}/nothing`)).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
      })
      await expect(loadModel(client, `models:/${uniqueName('absent')}/1`)).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
      })
      await expect(downloadModel(client, 's3://bucket/model')).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
      })
    })
  })
}

describe('logModel / loadModel with a local artifact root (no artifact proxy)', () => {
  let database: TestDatabase
  let client: CairnClient
  let close: () => Promise<void>

  beforeAll(async () => {
    database = await createTestDatabase('sqlite')
    ;({ client, close } = await startServer({ backendStoreUri: database.uri, local: true }))
  })

  afterAll(async () => {
    await close?.()
    await database?.drop()
  })

  it('writes and reads the model files directly', async () => {
    const experimentId = await client.createExperiment({ name: uniqueName('sdk-models-local') })
    const run = await client.createRun({ experimentId })
    const name = uniqueName('local-scaler')
    const logged = await logModel(client, {
      runId: run.info.runId,
      name: 'model',
      model: { flavor: 'js', source: await makeModelSource(), entry: 'model.mjs' },
      registeredModelName: name,
    })
    expect(
      path.isAbsolute(logged.loggedModel.artifactUri) || logged.loggedModel.artifactUri.startsWith('file:'),
    ).toBe(true)
    for (const uri of [`models:/${name}/1`, `runs:/${run.info.runId}/model`]) {
      const model = await loadModel(client, uri)
      expect(await model.predict(INPUT)).toEqual(EXPECTED)
    }
  })

  it('removes the temporary folder of loadModel on close and of a failed download', async () => {
    const experimentId = await client.createExperiment({ name: uniqueName('sdk-models-temp') })
    const run = await client.createRun({ experimentId })
    const logged = await logModel(client, {
      runId: run.info.runId,
      name: 'model',
      model: { flavor: 'js', source: await makeModelSource(), entry: 'model.mjs' },
    })
    const temporary = await mkdtemp(path.join(workspace, 'tmp-'))
    const previous = process.env.TMPDIR
    process.env.TMPDIR = temporary
    try {
      const model = await loadModel(client, logged.modelUri)
      expect(await model.predict(INPUT)).toEqual(EXPECTED)
      expect(await readdir(temporary)).toHaveLength(1)
      await model.close()
      expect(await readdir(temporary)).toEqual([])
      await expect(loadModel(client, `models:/${uniqueName('absent')}/1`)).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
      })
      await expect(downloadModel(client, `runs:/${run.info.runId}/nothing`)).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
      })
      expect(await readdir(temporary)).toEqual([])
    } finally {
      if (previous === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = previous
    }
  })

  it('uses the active run of the module-level API, flushing its metrics first', async () => {
    configure({ trackingUri: client.trackingUri, retries: { maxRetries: 0 } })
    const run = await startRun({ experimentName: uniqueName('sdk-models-fluent') })
    try {
      logMetric('rmse', 0.25, { step: 2 })
      const logged = await logModel(client, {
        name: 'model',
        step: 2,
        model: { flavor: 'js', source: await makeModelSource(), entry: 'model.mjs' },
      })
      expect(logged.loggedModel.sourceRunId).toBe(run.runId)
      expect(logged.loggedModel.experimentId).toBe(run.experimentId)
      expect((await client.getRun(run.runId)).outputs.modelOutputs).toEqual([
        { modelId: logged.modelId, step: 2 },
      ])
      const model = await client.registry.getLoggedModel(logged.modelId)
      expect(model.metrics.map((metric) => [metric.key, metric.value, Number(metric.step)])).toEqual([
        ['rmse', 0.25, 2],
      ])
    } finally {
      await endRun()
    }
  })
})

describe('downloadModel against a misbehaving artifact proxy', () => {
  it('ignores listing entries that name the listed folder itself instead of looping', async () => {
    let requests = 0
    const server = createServer((_request, response) => {
      requests++
      response.setHeader('Content-Type', 'application/json')
      if (requests > 20) {
        response.statusCode = 500
        response.end(JSON.stringify({ error_code: 'INTERNAL_ERROR', message: 'looping' }))
        return
      }
      response.end(
        JSON.stringify({
          files: [
            { path: 'm/.', is_dir: true },
            { path: '', is_dir: true },
          ],
        }),
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const address = server.address() as { port: number }
      const client = new CairnClient({
        trackingUri: `http://127.0.0.1:${address.port}`,
        retries: { maxRetries: 0 },
      })
      const destination = await mkdtemp(path.join(workspace, 'proxy-'))
      await expect(downloadModel(client, 'mlflow-artifacts:/m', destination)).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
      })
      expect(requests).toBeLessThanOrEqual(2)
    } finally {
      server.close()
    }
  })

  it('settles a failed download only when no file is still being fetched', async () => {
    let pending = 0
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost')
      response.setHeader('Content-Type', 'application/json')
      if (url.searchParams.has('path')) {
        response.end(JSON.stringify({ files: [{ path: 'm/broken' }, { path: 'm/slow' }] }))
        return
      }
      if (url.pathname.endsWith('/broken')) {
        response.statusCode = 404
        response.end(JSON.stringify({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'gone' }))
        return
      }
      pending++
      setTimeout(() => {
        pending--
        response.end('weights')
      }, 300)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const address = server.address() as { port: number }
      const client = new CairnClient({
        trackingUri: `http://127.0.0.1:${address.port}`,
        retries: { maxRetries: 0 },
      })
      const failure = await downloadModel(client, 'mlflow-artifacts:/m').catch((caught: unknown) => caught)
      expect(failure).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
      expect(pending).toBe(0)
    } finally {
      server.close()
    }
  })
})
