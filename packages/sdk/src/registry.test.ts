import { MlflowError } from '@cairn/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CairnClient } from './cairn-client.js'
import { startTestServer, type TestServer, uniqueName } from './test-support/test-server.js'

let server: TestServer
let client: CairnClient

beforeAll(async () => {
  server = await startTestServer()
  client = new CairnClient({ trackingUri: server.url, retries: { maxRetries: 0 } })
})

afterAll(async () => {
  await server?.close()
})

describe('model registry client', () => {
  it('registers a logged model, aliases and stages it, and resolves models:/ URIs', async () => {
    const experimentId = await client.createExperiment({ name: uniqueName('sdk-registry') })
    const run = await client.createRun({ experimentId })
    const logged = await client.registry.createLoggedModel({
      experimentId,
      name: 'clf',
      sourceRunId: run.info.runId,
      params: { alpha: '0.5' },
    })
    expect(logged.modelId).toMatch(/^m-[0-9a-f]{32}$/)
    expect(logged.params).toEqual([{ key: 'alpha', value: '0.5' }])
    const ready = await client.registry.finalizeLoggedModel(logged.modelId, 'LOGGED_MODEL_READY')
    expect(ready.status).toBe('LOGGED_MODEL_READY')

    const name = uniqueName('sdk-model')
    await client.registry.createRegisteredModel({ name, tags: { team: 'ml' } })
    const version = await client.registry.createModelVersion({
      name,
      source: `models:/${logged.modelId}`,
      modelId: logged.modelId,
    })
    expect(version).toMatchObject({
      version: '1',
      runId: run.info.runId,
      modelId: logged.modelId,
      status: 'READY',
    })
    await client.registry.createModelVersion({
      name,
      source: `runs:/${run.info.runId}/model`,
      runId: run.info.runId,
    })
    await client.registry.setRegisteredModelAlias(name, 'champion', 1)
    await client.registry.transitionModelVersionStage({ name, version: 2, stage: 'Production' })

    expect((await client.registry.resolveModelUri(`models:/${name}@champion`)).version).toBe('1')
    expect((await client.registry.resolveModelUri(`models:/${name}/2`)).version).toBe('2')
    expect((await client.registry.resolveModelUri(`models:/${name}/latest`)).version).toBe('2')
    expect((await client.registry.resolveModelUri(`models:/${name}/Production`)).version).toBe('2')
    expect(await client.registry.resolveModelUriLocation(`models:/${logged.modelId}`)).toBe(
      logged.artifactUri,
    )
    expect(await client.registry.resolveModelUriLocation(`models:/${name}@champion`)).toBe(logged.artifactUri)

    const lineage = await client.registry.getModelVersionLineage(name, 1)
    expect(lineage.run?.runId).toBe(run.info.runId)
    expect(lineage.loggedModel?.modelId).toBe(logged.modelId)
    expect(
      (await client.registry.listRunModelVersions(run.info.runId)).map((entry) => entry.version),
    ).toEqual(['1', '2'])

    const models = await client.registry
      .searchRegisteredModelsAll({ filter: `name = '${name}'`, maxResults: 1 })
      .toArray()
    expect(models.map((model) => model.aliases)).toEqual([[{ alias: 'champion', version: '1' }]])
    const versions = await client.registry
      .searchModelVersionsAll({ filter: `name = '${name}'`, maxResults: 1 })
      .toArray()
    expect(versions.map((entry) => entry.version)).toEqual(['2', '1'])

    await client.registry.deleteModelVersion(name, 1)
    const error = await client.registry
      .getModelVersionByAlias(name, 'champion')
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(MlflowError)
    expect((error as MlflowError).code).toBe('INVALID_PARAMETER_VALUE')
    await client.registry.deleteRegisteredModel(name)
  })

  it('manages webhooks and their delivery log', async () => {
    const webhook = await client.registry.createWebhook({
      name: uniqueName('sdk-hook'),
      url: 'http://127.0.0.1:9/nowhere',
      events: [{ entity: 'registered_model', action: 'created' }],
    })
    expect(webhook.events).toEqual([{ entity: 'registered_model', action: 'created' }])
    const result = await client.registry.testWebhook(webhook.webhookId)
    expect(result.success).toBe(false)
    const deliveries = await client.registry.listWebhookDeliveries(webhook.webhookId)
    expect(deliveries[0]).toMatchObject({ state: 'failed', attempts: 1 })
    const updated = await client.registry.updateWebhook(webhook.webhookId, { status: 'DISABLED' })
    expect(updated.status).toBe('DISABLED')
    await client.registry.deleteWebhook(webhook.webhookId)
    const missing = await client.registry.getWebhook(webhook.webhookId).catch((caught: unknown) => caught)
    expect((missing as MlflowError).code).toBe('RESOURCE_DOES_NOT_EXIST')
  })
})
