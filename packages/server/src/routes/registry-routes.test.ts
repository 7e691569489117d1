import { createHmac } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachStore } from '../test-support/store-fixtures.js'
import {
  API,
  createExperiment,
  createRun,
  expectError,
  expectOk,
  uniqueName,
} from '../test-support/test-data.js'

const CAIRN = '/api/2.0/cairn'

interface Received {
  headers: IncomingHttpHeaders
  body: string
}

/** A loopback webhook receiver answering with the statuses queued for it (200 once they run out). */
function startReceiver() {
  const received: Received[] = []
  const statuses: number[] = []
  let server: Server | undefined
  return {
    received,
    statuses,
    async start() {
      server = createServer((request, response) => {
        let body = ''
        request.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8')
        })
        request.on('end', () => {
          received.push({ headers: request.headers, body })
          response.statusCode = statuses.shift() ?? 200
          response.end('ok')
        })
      })
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
    },
    async stop() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    },
  }
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const receiver = startReceiver()
let receiverUrl = ''
beforeAll(async () => {
  receiverUrl = await receiver.start()
})
afterAll(() => receiver.stop())

describeEachStore(
  'registry routes',
  (context) => {
    async function register(name: string, versions: number) {
      expectOk(await context.api.post(`${API}/registered-models/create`, { name }))
      for (let index = 0; index < versions; index++) {
        expectOk(
          await context.api.post(`${API}/model-versions/create`, {
            name,
            source: `s3://bucket/${name}/${index}`,
          }),
        )
      }
    }

    it('creates, reads, renames, updates and deletes registered models with MLflow fields', async () => {
      const { api } = context
      const name = uniqueName('model')
      const created = await api.post(`${API}/registered-models/create`, {
        name,
        description: 'd',
        tags: [{ key: 'k', value: 'v' }],
      })
      expectOk(created)
      expect(created.body.registered_model).toMatchObject({
        name,
        description: 'd',
        tags: [{ key: 'k', value: 'v' }],
      })
      expect(typeof created.body.registered_model.creation_timestamp).toBe('number')
      expectError(await api.post(`${API}/registered-models/create`, { name }), 400, 'RESOURCE_ALREADY_EXISTS')

      const version = await api.post(`${API}/model-versions/create`, {
        name,
        source: 's3://b/model',
        run_link: 'l',
      })
      expectOk(version)
      expect(version.body.model_version).toMatchObject({
        name,
        version: '1',
        current_stage: 'None',
        status: 'READY',
        source: 's3://b/model',
        run_link: 'l',
      })

      const renamed = uniqueName('renamed')
      const rename = await api.post(`${API}/registered-models/rename`, { name, new_name: renamed })
      expectOk(rename)
      expect(rename.body.registered_model.latest_versions).toMatchObject([{ name: renamed, version: '1' }])
      const update = await api.send('PATCH', `${API}/registered-models/update`, {
        name: renamed,
        description: 'new',
      })
      expect(update.body.registered_model.description).toBe('new')
      const got = await api.get(`${API}/registered-models/get`, { name: renamed })
      expect(got.body.registered_model.description).toBe('new')
      expectError(await api.get(`${API}/registered-models/get`, { name }), 404, 'RESOURCE_DOES_NOT_EXIST')
      expectOk(await api.send('DELETE', `${API}/registered-models/delete`, { name: renamed }))
      expectError(
        await api.get(`${API}/model-versions/get`, { name: renamed, version: '1' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      )
    })

    it('rejects bad input with MLflow errors and writes nothing', async () => {
      const { api } = context
      const badName = await api.post(`${API}/registered-models/create`, { name: 'a/b' })
      expect(expectError(badName, 400, 'INVALID_PARAMETER_VALUE')).toBe(
        "Invalid model name 'a/b'. Names cannot contain '/' or ':'.",
      )
      expectError(await api.post(`${API}/registered-models/create`, {}), 400, 'INVALID_PARAMETER_VALUE')
      expectError(
        await api.get(`${API}/registered-models/get`, { name: 'a/b' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      const name = uniqueName('bad')
      await register(name, 1)
      expect(
        expectError(
          await api.get(`${API}/model-versions/get`, { name, version: 'x' }),
          400,
          'INVALID_PARAMETER_VALUE',
        ),
      ).toBe("Parameter 'version' must be an integer, got 'x'.")
      expectError(
        await api.get(`${API}/model-versions/get`, { name, version: '99999999999' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      )
      expectError(
        await api.send('DELETE', `${API}/model-versions/delete`, { name, version: '99999999999' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      )
      expectError(
        await api.post(`${API}/logged-models/search`, { experiment_ids: ['0'], max_results: -5 }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expect(
        expectError(
          await api.get(`${API}/model-versions/get`, { name, version: '7' }),
          404,
          'RESOURCE_DOES_NOT_EXIST',
        ),
      ).toBe(`Model Version (name=${name}, version=7) not found`)
      expect(
        expectError(
          await api.post(`${API}/model-versions/transition-stage`, { name, version: '1', stage: 'Prod' }),
          400,
          'INVALID_PARAMETER_VALUE',
        ),
      ).toBe('Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, Archived.')
      expectError(
        await api.post(`${API}/model-versions/transition-stage`, {
          name,
          version: '1',
          stage: 'Archived',
          archive_existing_versions: true,
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expectError(
        await api.post(`${API}/registered-models/alias`, { name, alias: 'latest', version: '1' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expectError(
        await api.post(`${API}/registered-models/alias`, { name, alias: 'v1', version: '1' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expectError(
        await api.post(`${API}/registered-models/alias`, { name, alias: 'bad alias', version: '1' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      // An alias on a deleted version: the version no longer exists.
      expectOk(await api.send('DELETE', `${API}/model-versions/delete`, { name, version: '1' }))
      expectError(
        await api.post(`${API}/registered-models/alias`, { name, alias: 'prod', version: '1' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      )
      const model = await api.get(`${API}/registered-models/get`, { name })
      expect(model.body.registered_model.aliases).toBeUndefined()
      // Sources: `..` segments and sources outside the named run are refused.
      expectError(
        await api.post(`${API}/model-versions/create`, { name, source: 's3://b/x/../../etc' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expectError(
        await api.post(`${API}/model-versions/create`, { name, source: 's3://b/x/%2E%2E/etc' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expectError(
        await api.post(`${API}/model-versions/create`, { name, source: '/etc/passwd' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expectError(
        await api.post(`${API}/model-versions/create`, { name, source: 'runs:/abc/model' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      const search = await api.get(`${API}/model-versions/search`, { filter: `name = '${name}'` })
      expect(search.body).toEqual({})
      // Webhook URLs with other schemes.
      const webhook = await api.post(`${API}/webhooks`, {
        name: 'bad-scheme',
        url: 'file:///etc/passwd',
        events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
      })
      expect(expectError(webhook, 400, 'INVALID_PARAMETER_VALUE')).toContain('Invalid webhook URL scheme')
      expectError(
        await api.post(`${API}/webhooks`, {
          name: 'x',
          url: 'ftp://h/x',
          events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expectError(
        await api.post(`${API}/webhooks`, {
          name: 'x',
          url: 'http://h/x',
          events: [{ entity: 'MODEL_VERSION', action: 'DELETED' }],
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expectError(
        await api.post(`${API}/webhooks`, {
          name: '-x-',
          url: 'http://h/x',
          events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
    })

    it('registers versions from runs:/, models:/ and logged-model sources with their lineage', async () => {
      const { api } = context
      const experimentId = await createExperiment(api)
      const run = await createRun(api, experimentId)
      const runId: string = run.info.run_id
      const name = uniqueName('lineage')
      expectOk(await api.post(`${API}/registered-models/create`, { name }))
      const fromRun = await api.post(`${API}/model-versions/create`, {
        name,
        source: `runs:/${runId}/model`,
        run_id: runId,
      })
      expectOk(fromRun)
      expect(fromRun.body.model_version.run_id).toBe(runId)

      const logged = await api.post(`${API}/logged-models`, {
        experiment_id: experimentId,
        name: 'clf',
        source_run_id: runId,
      })
      expectOk(logged)
      const modelId: string = logged.body.model.info.model_id
      const fromModel = await api.post(`${API}/model-versions/create`, {
        name,
        source: `models:/${modelId}`,
        model_id: modelId,
      })
      expectOk(fromModel)
      expect(fromModel.body.model_version).toMatchObject({ version: '2', model_id: modelId, run_id: runId })
      const uri = await api.get(`${API}/model-versions/get-download-uri`, { name, version: '2' })
      expect(uri.body.artifact_uri).toBe(logged.body.model.info.artifact_uri)
      expectError(
        await api.post(`${API}/model-versions/create`, { name, source: `models:/${modelId}` }),
        400,
        'INVALID_PARAMETER_VALUE',
      )

      expectOk(await api.post(`${API}/registered-models/alias`, { name, alias: 'champion', version: '2' }))
      const fromAlias = await api.post(`${API}/model-versions/create`, {
        name,
        source: `models:/${name}@champion`,
      })
      expectOk(fromAlias)
      expect(fromAlias.body.model_version).toMatchObject({
        version: '3',
        source: `models:/${name}/2`,
        model_id: modelId,
      })
      const aliasUri = await api.get(`${API}/model-versions/get-download-uri`, { name, version: '3' })
      expect(aliasUri.body.artifact_uri).toBe(logged.body.model.info.artifact_uri)

      const tags = await api.get(`${API}/logged-models/${modelId}`)
      const versionsTag = tags.body.model.info.tags.find(
        (tag: { key: string }) => tag.key === 'mlflow.modelVersions',
      )
      expect(JSON.parse(versionsTag.value)).toEqual([
        { name, version: '2' },
        { name, version: '3' },
      ])

      const lineage = await api.get(`${CAIRN}/model-versions/lineage`, { name, version: '2' })
      expectOk(lineage)
      expect(lineage.body).toMatchObject({
        model_version: { version: '2' },
        run: { run_id: runId, experiment_id: experimentId },
        experiment: { experiment_id: experimentId },
        logged_model: { model_id: modelId, name: 'clf' },
      })
      const fromRunVersions = await api.get(`${CAIRN}/runs/model-versions`, { run_id: runId })
      expect(
        fromRunVersions.body.model_versions.map((version: { version: string }) => version.version),
      ).toEqual(['1', '2', '3'])
    })

    it('serves stages, latest versions, aliases and tags', async () => {
      const { api } = context
      const name = uniqueName('stages')
      await register(name, 3)
      expectOk(
        await api.post(`${API}/model-versions/transition-stage`, { name, version: '1', stage: 'production' }),
      )
      const moved = await api.post(`${API}/model-versions/transition-stage`, {
        name,
        version: '2',
        stage: 'Production',
        archive_existing_versions: true,
      })
      expect(moved.body.model_version.current_stage).toBe('Production')
      const latest = await api.post(`${API}/registered-models/get-latest-versions`, {
        name,
        stages: ['Production', 'None'],
      })
      expect(
        latest.body.model_versions.map((version: { version: string }) => version.version).sort(),
      ).toEqual(['2', '3'])
      const latestGet = await api.get(`${API}/registered-models/get-latest-versions`, {
        name,
        stages: 'archived',
      })
      expect(latestGet.body.model_versions).toMatchObject([{ version: '1', current_stage: 'Archived' }])
      expectOk(await api.post(`${API}/registered-models/alias`, { name, alias: 'champion', version: 3 }))
      const byAlias = await api.get(`${API}/registered-models/alias`, { name, alias: 'champion' })
      expect(byAlias.body.model_version).toMatchObject({ version: '3', aliases: ['champion'] })
      expect(
        expectError(
          await api.get(`${API}/registered-models/alias`, { name, alias: 'nope' }),
          400,
          'INVALID_PARAMETER_VALUE',
        ),
      ).toBe('Registered model alias nope not found.')
      expectOk(await api.send('DELETE', `${API}/registered-models/alias`, { name, alias: 'champion' }))
      expectOk(await api.post(`${API}/model-versions/set-tag`, { name, version: '1', key: 'k', value: 'v' }))
      expectOk(await api.post(`${API}/registered-models/set-tag`, { name, key: 'team', value: 'ml' }))
      const version = await api.get(`${API}/model-versions/get`, { name, version: '1' })
      expect(version.body.model_version.tags).toEqual([{ key: 'k', value: 'v' }])
      expectOk(await api.send('DELETE', `${API}/model-versions/delete-tag`, { name, version: '1', key: 'k' }))
      expectOk(await api.send('DELETE', `${API}/registered-models/delete-tag`, { name, key: 'team' }))
      const updated = await api.send('PATCH', `${API}/model-versions/update`, {
        name,
        version: '1',
        description: 'x',
      })
      expect(updated.body.model_version.description).toBe('x')
    })

    it('searches registered models and versions with filters, order and page tokens', async () => {
      const { api } = context
      const prefix = uniqueName('paged')
      for (const suffix of ['a', 'b', 'c']) await register(`${prefix}-${suffix}`, 2)
      const first = await api.get(`${API}/registered-models/search`, {
        filter: `name LIKE '${prefix}-%'`,
        max_results: 2,
      })
      expect(first.body.registered_models.map((model: { name: string }) => model.name)).toEqual([
        `${prefix}-a`,
        `${prefix}-b`,
      ])
      const second = await api.get(`${API}/registered-models/search`, {
        filter: `name LIKE '${prefix}-%'`,
        max_results: 2,
        page_token: first.body.next_page_token,
      })
      expect(second.body.registered_models.map((model: { name: string }) => model.name)).toEqual([
        `${prefix}-c`,
      ])
      expect(second.body.next_page_token).toBeUndefined()
      expectError(
        await api.get(`${API}/registered-models/search`, { max_results: 1001 }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expectError(
        await api.get(`${API}/registered-models/search`, { filter: 'foo = 1' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expectError(
        await api.get(`${API}/registered-models/search`, { order_by: 'bogus' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      const versions = await api.get(`${API}/model-versions/search`, {
        filter: `name LIKE '${prefix}-%'`,
        order_by: ['name DESC', 'version_number ASC'],
        max_results: 4,
      })
      expect(
        versions.body.model_versions.map(
          (version: { name: string; version: string }) => `${version.name}/${version.version}`,
        ),
      ).toEqual([`${prefix}-c/1`, `${prefix}-c/2`, `${prefix}-b/1`, `${prefix}-b/2`])
      expect(versions.body.next_page_token).toBeDefined()
    })

    it('serves the logged-model API with path parameters', async () => {
      const { api } = context
      const experimentId = await createExperiment(api)
      const experiment = await api.get(`${API}/experiments/get`, { experiment_id: experimentId })
      const created = await api.post(`${API}/logged-models`, {
        experiment_id: experimentId,
        model_type: 'sklearn',
        params: [{ key: 'alpha', value: '1' }],
      })
      expectOk(created)
      const info = created.body.model.info
      expect(info.model_id).toMatch(/^m-[0-9a-f]{32}$/)
      expect(info.status).toBe('LOGGED_MODEL_PENDING')
      expect(info.artifact_uri).toBe(
        `${experiment.body.experiment.artifact_location}/models/${info.model_id}/artifacts`,
      )
      expect(created.body.model.data.params).toEqual([{ key: 'alpha', value: '1' }])
      const finalized = await api.send('PATCH', `${API}/logged-models/${info.model_id}`, {
        status: 'LOGGED_MODEL_READY',
      })
      expect(finalized.body.model.info.status).toBe('LOGGED_MODEL_READY')
      expectOk(
        await api.send('PATCH', `${API}/logged-models/${info.model_id}/tags`, {
          tags: [{ key: 'a', value: 'b' }],
        }),
      )
      expectOk(
        await api.post(`${API}/logged-models/${info.model_id}/params`, {
          params: [{ key: 'beta', value: '2' }],
        }),
      )
      const run = await createRun(api, experimentId)
      expectOk(
        await api.post(`${API}/runs/log-metric`, {
          run_id: run.info.run_id,
          key: 'acc',
          value: 0.75,
          timestamp: 5,
          model_id: info.model_id,
        }),
      )
      const got = await api.get(`${API}/logged-models/${info.model_id}`)
      expect(got.body.model.info.tags).toEqual([{ key: 'a', value: 'b' }])
      expect(got.body.model.data.metrics).toMatchObject([
        { key: 'acc', value: 0.75, run_id: run.info.run_id, model_id: info.model_id },
      ])
      const search = await api.post(`${API}/logged-models/search`, {
        experiment_ids: [experimentId],
        filter: 'metrics.acc > 0.5',
        order_by: [{ field_name: 'creation_timestamp', ascending: false }],
      })
      expect(search.body.models.map((model: { info: { model_id: string } }) => model.info.model_id)).toEqual([
        info.model_id,
      ])
      expectOk(await api.send('DELETE', `${API}/logged-models/${info.model_id}/tags/a`))
      expectError(
        await api.send('DELETE', `${API}/logged-models/${info.model_id}/tags/a`),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      )
      expectOk(await api.send('DELETE', `${API}/logged-models/${info.model_id}`))
      expectError(await api.get(`${API}/logged-models/${info.model_id}`), 404, 'RESOURCE_DOES_NOT_EXIST')
      expectError(
        await api.post(`${API}/logged-models`, { experiment_id: experimentId, name: 'a.b' }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expectError(await api.post(`${API}/logged-models`, {}), 400, 'INVALID_PARAMETER_VALUE')
      expectError(
        await api.post(`${API}/logged-models/search`, {
          experiment_ids: [experimentId],
          filter: "metrics.acc LIKE 'x'",
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      for (const key of ['constructor', 'toString', '__proto__']) {
        expect(
          expectError(
            await api.post(`${API}/logged-models/search`, {
              experiment_ids: [experimentId],
              filter: `attributes.${key} = 'x'`,
            }),
            400,
            'INVALID_PARAMETER_VALUE',
          ),
        ).toBe(`Invalid attribute key '${key}' specified for logged models.`)
        expectError(
          await api.post(`${API}/logged-models/search`, {
            experiment_ids: [experimentId],
            order_by: [{ field_name: key }],
          }),
          400,
          'INVALID_PARAMETER_VALUE',
        )
      }
    })

    it('delivers signed webhook events asynchronously, retries, and logs deliveries', async () => {
      const { api } = context
      const secret = 'top-secret'
      const created = await api.post(`${API}/webhooks`, {
        name: uniqueName('hook'),
        url: receiverUrl,
        secret,
        events: [
          { entity: 'MODEL_VERSION', action: 'CREATED' },
          { entity: 'model_version_alias', action: 'created' },
        ],
      })
      expectOk(created)
      const webhook = created.body.webhook
      expect(webhook).toMatchObject({ status: 'ACTIVE', url: receiverUrl })
      expect(webhook.events).toEqual([
        { entity: 'MODEL_VERSION', action: 'CREATED' },
        { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
      ])
      expect(webhook).not.toHaveProperty('secret')

      const name = uniqueName('hooked')
      const before = receiver.received.length
      receiver.statuses.push(503)
      await register(name, 1)
      const delivery = await waitFor(() =>
        receiver.received
          .slice(before)
          .find((entry) => JSON.parse(entry.body).data.name === name && entry.headers['x-mlflow-signature']),
      )
      const body = JSON.parse(delivery.body)
      expect(body).toMatchObject({ entity: 'model_version', action: 'created', data: { name, version: '1' } })
      const id = String(delivery.headers['x-mlflow-delivery-id'])
      const timestamp = String(delivery.headers['x-mlflow-timestamp'])
      const expected = `v1,${createHmac('sha256', secret).update(`${id}.${timestamp}.${delivery.body}`).digest('base64')}`
      expect(delivery.headers['x-mlflow-signature']).toBe(expected)

      const log = await waitFor(async () => {
        const response = await api.get(`${CAIRN}/webhooks/${webhook.webhook_id}/deliveries`)
        const done = response.body.deliveries?.find((entry: { state: string }) => entry.state !== 'pending')
        return done ? response.body.deliveries : undefined
      })
      expect(log[0]).toMatchObject({
        entity: 'model_version',
        action: 'created',
        state: 'succeeded',
        attempts: 2,
        response_status: 200,
      })

      const test = await api.post(`${API}/webhooks/${webhook.webhook_id}/test`, {})
      expect(test.body.result).toMatchObject({ success: true, response_status: 200, response_body: 'ok' })
      const updated = await api.send('PATCH', `${API}/webhooks/${webhook.webhook_id}`, {
        status: 'DISABLED',
        description: 'off',
      })
      expect(updated.body.webhook).toMatchObject({ status: 'DISABLED', description: 'off' })
      const list = await api.get(`${API}/webhooks`)
      expect(list.body.webhooks.map((entry: { webhook_id: string }) => entry.webhook_id)).toContain(
        webhook.webhook_id,
      )
      expectOk(await api.send('DELETE', `${API}/webhooks/${webhook.webhook_id}`))
      expectError(await api.get(`${API}/webhooks/${webhook.webhook_id}`), 404, 'RESOURCE_DOES_NOT_EXIST')
    })

    it('streams a file of a model version for the UI', async () => {
      const { api, app } = context
      const experimentId = await createExperiment(api)
      const run = await createRun(api, experimentId)
      const root: string = run.info.artifact_uri
      expect(root.startsWith('mlflow-artifacts:/')).toBe(true)
      const relative = root.replace(/^mlflow-artifacts:\/+/, '')
      const put = await app.request(`/api/2.0/mlflow-artifacts/artifacts/${relative}/model/MLmodel`, {
        method: 'PUT',
        body: 'flavors: {}\n',
      })
      expect(put.status).toBe(200)
      const name = uniqueName('files')
      expectOk(await api.post(`${API}/registered-models/create`, { name }))
      expectOk(
        await api.post(`${API}/model-versions/create`, {
          name,
          source: `${root}/model`,
          run_id: run.info.run_id,
        }),
      )
      const file = await app.request(`/model-versions/get-artifact?name=${name}&version=1&path=MLmodel`)
      expect(file.status).toBe(200)
      expect(file.headers.get('content-disposition')).toContain('MLmodel')
      expect(await file.text()).toBe('flavors: {}\n')
      const missing = await app.request(`/model-versions/get-artifact?name=${name}&version=1&path=nope`)
      expect(missing.status).toBe(404)
      const outside = await app.request(`/model-versions/get-artifact?name=${name}&version=1&path=../../x`)
      expect(outside.status).toBe(400)
      expectError(
        await api.post(`${API}/model-versions/create`, {
          name,
          source: `${root}/../other`,
          run_id: run.info.run_id,
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
    })

    it('lists and downloads the artifacts of a logged model', async () => {
      const { api, app } = context
      const experimentId = await createExperiment(api)
      const created = await api.post(`${API}/logged-models`, { experiment_id: experimentId })
      const { model_id: modelId, artifact_uri: root } = created.body.model.info
      const relative = String(root).replace(/^mlflow-artifacts:\/+/, '')
      for (const file of ['MLmodel', 'data/model.pkl']) {
        const put = await app.request(`/api/2.0/mlflow-artifacts/artifacts/${relative}/${file}`, {
          method: 'PUT',
          body: file,
        })
        expect(put.status).toBe(200)
      }
      const listing = await api.get(`${API}/logged-models/${modelId}/artifacts/directories`)
      expectOk(listing)
      expect(listing.body.root_uri).toBe(root)
      expect(listing.body.files).toEqual([
        { path: 'MLmodel', is_dir: false, file_size: 7 },
        { path: 'data', is_dir: true },
      ])
      const nested = await api.get(`${API}/logged-models/${modelId}/artifacts/directories`, {
        artifact_directory_path: 'data',
      })
      expect(nested.body.files).toEqual([{ path: 'data/model.pkl', is_dir: false, file_size: 14 }])
      const file = await app.request(
        `/ajax-api/2.0/mlflow/logged-models/${modelId}/artifacts/files?artifact_file_path=data/model.pkl`,
      )
      expect(file.status).toBe(200)
      expect(await file.text()).toBe('data/model.pkl')
      const traversal = await api.get(`${API}/logged-models/${modelId}/artifacts/directories`, {
        artifact_directory_path: '../..',
      })
      expectError(traversal, 400, 'INVALID_PARAMETER_VALUE')
    })

    it('answers registry writes at once while a webhook receiver is dead', async () => {
      const { api } = context
      const created = await api.post(`${API}/webhooks`, {
        name: uniqueName('dead'),
        url: 'http://127.0.0.1:9/unreachable',
        events: [{ entity: 'registered_model', action: 'created' }],
      })
      expectOk(created)
      const started = Date.now()
      for (let index = 0; index < 5; index++) {
        expectOk(await api.post(`${API}/registered-models/create`, { name: uniqueName('fast') }))
      }
      expect(Date.now() - started).toBeLessThan(2000)
      const test = await api.post(`${API}/webhooks/${created.body.webhook.webhook_id}/test`, {})
      expect(test.body.result.success).toBe(false)
      expect(test.body.result.error_message).toContain('Failed to test webhook')
      const log = await waitFor(async () => {
        const response = await api.get(`${CAIRN}/webhooks/${created.body.webhook.webhook_id}/deliveries`)
        const deliveries: { state: string; attempts: number }[] = response.body.deliveries ?? []
        return deliveries.length === 6 && deliveries.every((entry) => entry.state !== 'pending')
          ? deliveries
          : undefined
      })
      expect(log.filter((entry) => entry.state === 'failed' && entry.attempts === 3)).toHaveLength(5)
      expectOk(await api.send('DELETE', `${API}/webhooks/${created.body.webhook.webhook_id}`))
    })
  },
  {
    workingDirectory: mkdtempSync(join(tmpdir(), 'cairn-registry-routes-')),
    webhooks: {
      timeoutMs: 2000,
      maxRetries: 2,
      backoffMs: 10,
      maxBackoffMs: 50,
      allowedSchemes: ['http', 'https'],
    },
  },
)
