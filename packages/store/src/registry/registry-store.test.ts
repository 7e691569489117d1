import { MlflowError, parseOrderBy, parseSearchFilter } from '@cairn/core'
import { describe, expect, it } from 'vitest'
import { createTrackingStore, registryStoreOf } from '../create-tracking-store.js'
import { describeEachStore, uniqueName } from '../test-support/index.js'
import { parseLoggedModelFilter } from './logged-model-filter.js'
import type { RegistryStore } from './registry-store.js'

async function expectError(promise: Promise<unknown>, code: string, message?: string | RegExp) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(MlflowError)
  expect((error as MlflowError).code).toBe(code)
  if (message !== undefined) expect((error as MlflowError).message).toMatch(message)
}

async function modelWithVersions(registry: RegistryStore, count: number, prefix = 'model') {
  const name = uniqueName(prefix)
  await registry.createRegisteredModel({ name })
  for (let index = 0; index < count; index++) {
    await registry.createModelVersion({ name, source: `s3://bucket/${name}/${index}` })
  }
  return name
}

describeEachStore('registry store: registered models and versions', (getStore, _kind, getTestStore) => {
  const registry = () => registryStoreOf(getStore())

  it('creates, renames, updates and deletes a registered model with its versions', async () => {
    const name = uniqueName('rm')
    const created = await registry().createRegisteredModel({
      name,
      description: 'first',
      tags: [
        { key: 'team', value: 'a' },
        { key: 'team', value: 'b' },
      ],
    })
    expect(created).toMatchObject({
      name,
      description: 'first',
      tags: [{ key: 'team', value: 'b' }],
      aliases: [],
    })
    await expectError(
      registry().createRegisteredModel({ name }),
      'RESOURCE_ALREADY_EXISTS',
      `Registered Model (name=${name}) already exists.`,
    )
    await registry().createModelVersion({ name, source: 's3://b/1', tags: [{ key: 'k', value: 'v' }] })
    await registry().setRegisteredModelAlias(name, 'champion', 1)

    const renamed = uniqueName('rm-renamed')
    const model = await registry().renameRegisteredModel(name, renamed)
    expect(model.name).toBe(renamed)
    expect(model.aliases).toEqual([{ alias: 'champion', version: '1' }])
    const version = await registry().getModelVersion(renamed, 1)
    expect(version).toMatchObject({ name: renamed, tags: [{ key: 'k', value: 'v' }], aliases: ['champion'] })
    await expectError(
      registry().getRegisteredModel(name),
      'RESOURCE_DOES_NOT_EXIST',
      `Registered Model with name=${name} not found`,
    )

    const updated = await registry().updateRegisteredModel(renamed, 'second')
    expect(updated.description).toBe('second')
    await registry().deleteRegisteredModel(renamed)
    await expectError(registry().getModelVersion(renamed, 1), 'RESOURCE_DOES_NOT_EXIST')
    await expectError(registry().deleteRegisteredModel(renamed), 'RESOURCE_DOES_NOT_EXIST')
  })

  it('refuses to rename onto a taken name and leaves both models intact', async () => {
    const first = await modelWithVersions(registry(), 1)
    const second = await modelWithVersions(registry(), 1)
    await expectError(registry().renameRegisteredModel(first, second), 'RESOURCE_ALREADY_EXISTS')
    expect((await registry().getModelVersion(first, 1)).name).toBe(first)
    expect((await registry().getModelVersion(second, 1)).name).toBe(second)
  })

  it('numbers versions densely and never reuses the number of a deleted version', async () => {
    const name = await modelWithVersions(registry(), 3)
    await registry().setRegisteredModelAlias(name, 'prod', 3)
    await registry().deleteModelVersion(name, 3)
    await expectError(
      registry().getModelVersion(name, 3),
      'RESOURCE_DOES_NOT_EXIST',
      `Model Version (name=${name}, version=3) not found`,
    )
    const next = await registry().createModelVersion({ name, source: 's3://b/next' })
    expect(next.version).toBe('4')
    expect((await registry().getRegisteredModel(name)).aliases).toEqual([])
    await expectError(registry().setRegisteredModelAlias(name, 'prod', 3), 'RESOURCE_DOES_NOT_EXIST')
    await expectError(registry().deleteModelVersion(name, 3), 'RESOURCE_DOES_NOT_EXIST')
  })

  it('keeps versions unique and dense when several clients register one name at once', async () => {
    const name = uniqueName('concurrent')
    const clients = await Promise.all(
      Array.from({ length: 4 }, () =>
        createTrackingStore(getTestStore().uri, { defaultArtifactRoot: getTestStore().defaultArtifactRoot }),
      ),
    )
    try {
      const registries = clients.map((client) => registryStoreOf(client))
      // As mlflow.register_model does: create the model unless it exists, then a version.
      const versions = await Promise.all(
        registries.flatMap((client, clientIndex) =>
          Array.from({ length: 5 }, async (_, index) => {
            await client.createRegisteredModel({ name }).catch((error: unknown) => {
              if (!(error instanceof MlflowError) || error.code !== 'RESOURCE_ALREADY_EXISTS') throw error
            })
            return (await client.createModelVersion({ name, source: `s3://b/${clientIndex}/${index}` }))
              .version
          }),
        ),
      )
      expect(versions.map(Number).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, index) => index + 1),
      )
    } finally {
      await Promise.all(clients.map((client) => client.close()))
    }
  })

  it('moves versions between stages, archiving the others on request', async () => {
    const name = await modelWithVersions(registry(), 3)
    await registry().transitionModelVersionStage({
      name,
      version: 1,
      stage: 'Production',
      archiveExistingVersions: false,
    })
    await registry().transitionModelVersionStage({
      name,
      version: 2,
      stage: 'Production',
      archiveExistingVersions: false,
    })
    const third = await registry().transitionModelVersionStage({
      name,
      version: 3,
      stage: 'Production',
      archiveExistingVersions: true,
    })
    expect(third.currentStage).toBe('Production')
    expect((await registry().getModelVersion(name, 1)).currentStage).toBe('Archived')
    expect((await registry().getModelVersion(name, 2)).currentStage).toBe('Archived')
    const latest = await registry().getLatestVersions(name)
    expect(latest.map((version) => [version.currentStage, version.version])).toEqual([
      ['Archived', '2'],
      ['Production', '3'],
    ])
    expect(
      (await registry().getLatestVersions(name, ['Production'])).map((version) => version.version),
    ).toEqual(['3'])
    expect((await registry().getRegisteredModel(name)).latestVersions).toHaveLength(2)
  })

  it('resolves aliases and latest; unknown aliases are INVALID_PARAMETER_VALUE', async () => {
    const name = await modelWithVersions(registry(), 2)
    await registry().setRegisteredModelAlias(name, 'champion', 1)
    expect((await registry().getModelVersionByAlias(name, 'champion')).version).toBe('1')
    expect((await registry().getModelVersionByAlias(name, 'LATEST')).version).toBe('2')
    await expectError(
      registry().getModelVersionByAlias(name, 'nope'),
      'INVALID_PARAMETER_VALUE',
      'Registered model alias nope not found.',
    )
    await registry().setRegisteredModelAlias(name, 'champion', 2)
    expect((await registry().getModelVersion(name, 2)).aliases).toEqual(['champion'])
    await registry().deleteRegisteredModelAlias(name, 'champion')
    await registry().deleteRegisteredModelAlias(name, 'champion')
    await expectError(registry().getModelVersionByAlias(name, 'champion'), 'INVALID_PARAMETER_VALUE')
    const empty = uniqueName('empty')
    await registry().createRegisteredModel({ name: empty })
    await expectError(
      registry().getModelVersionByAlias(empty, 'latest'),
      'RESOURCE_DOES_NOT_EXIST',
      `Latest version not found for model ${empty}.`,
    )
  })

  it('sets and deletes registered model and version tags', async () => {
    const name = await modelWithVersions(registry(), 1)
    await registry().setRegisteredModelTag(name, { key: 'a', value: '1' })
    await registry().setRegisteredModelTag(name, { key: 'a', value: '2' })
    expect((await registry().getRegisteredModel(name)).tags).toEqual([{ key: 'a', value: '2' }])
    await registry().deleteRegisteredModelTag(name, 'a')
    await registry().deleteRegisteredModelTag(name, 'a')
    expect((await registry().getRegisteredModel(name)).tags).toEqual([])
    await registry().setModelVersionTag(name, 1, { key: 'x', value: 'y' })
    expect((await registry().getModelVersion(name, 1)).tags).toEqual([{ key: 'x', value: 'y' }])
    await registry().deleteModelVersionTag(name, 1, 'x')
    expect((await registry().getModelVersion(name, 1)).tags).toEqual([])
    await expectError(
      registry().setModelVersionTag(name, 9, { key: 'x', value: 'y' }),
      'RESOURCE_DOES_NOT_EXIST',
    )
    await expectError(
      registry().setRegisteredModelTag(uniqueName('none'), { key: 'x', value: 'y' }),
      'RESOURCE_DOES_NOT_EXIST',
    )
  })
})

describeEachStore('registry store: search', (getStore) => {
  const registry = () => registryStoreOf(getStore())
  const prefix = uniqueName('search')

  it('searches registered models with filters, order and pages, hiding prompts', async () => {
    for (const suffix of ['c', 'a', 'b']) {
      await registry().createRegisteredModel({
        name: `${prefix}-${suffix}`,
        tags: [{ key: 'kind', value: suffix }],
      })
    }
    await registry().createRegisteredModel({
      name: `${prefix}-prompt`,
      tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }],
    })
    const search = (filter: string | undefined, orderBy: string[] = [], maxResults = 10, offset = 0) =>
      registry().searchRegisteredModels({
        filter: parseSearchFilter(filter, 'registered_models'),
        orderBy: parseOrderBy(orderBy, 'registered_models'),
        maxResults,
        offset,
      })
    const names = (page: { items: { name: string }[] }) => page.items.map((model) => model.name)
    expect(names(await search(`name LIKE '${prefix}-%'`))).toEqual([
      `${prefix}-a`,
      `${prefix}-b`,
      `${prefix}-c`,
    ])
    expect(names(await search(`name LIKE '${prefix}-%'`, ['name DESC']))).toEqual([
      `${prefix}-c`,
      `${prefix}-b`,
      `${prefix}-a`,
    ])
    expect(names(await search(`name LIKE '${prefix}-%' AND tags.kind = 'b'`))).toEqual([`${prefix}-b`])
    const first = await search(`name LIKE '${prefix}-%'`, [], 2)
    expect(names(first)).toEqual([`${prefix}-a`, `${prefix}-b`])
    expect(first.nextOffset).toBe(2)
    const second = await search(`name LIKE '${prefix}-%'`, [], 2, 2)
    expect(names(second)).toEqual([`${prefix}-c`])
    expect(second.nextOffset).toBeUndefined()
    expect(
      names(await search(`name LIKE '${prefix}-%' AND tags.\`mlflow.prompt.is_prompt\` = 'true'`)),
    ).toEqual([`${prefix}-prompt`])
    expect(
      names(await search(`name LIKE '${prefix}-%' AND tags.\`mlflow.prompt.is_prompt\` = 'false'`)),
    ).toHaveLength(3)
  })

  it('answers the same registered model from search as from get', async () => {
    const name = `${prefix}-same`
    await registry().createRegisteredModel({
      name,
      description: 'd',
      tags: [
        { key: 'b', value: '2' },
        { key: 'a', value: '1' },
      ],
    })
    for (let index = 1; index <= 4; index++) {
      await registry().createModelVersion({
        name,
        source: `s3://b/${index}`,
        runId: 'r',
        tags: [{ key: 'v', value: String(index) }],
      })
    }
    await registry().transitionModelVersionStage({
      name,
      version: 2,
      stage: 'Staging',
      archiveExistingVersions: false,
    })
    await registry().transitionModelVersionStage({
      name,
      version: 3,
      stage: 'Production',
      archiveExistingVersions: false,
    })
    await registry().setRegisteredModelAlias(name, 'zeta', 1)
    await registry().setRegisteredModelAlias(name, 'alpha', 3)
    const found = await registry().searchRegisteredModels({
      filter: parseSearchFilter(`name = '${name}'`, 'registered_models'),
      orderBy: [],
      maxResults: 10,
      offset: 0,
    })
    const model = await registry().getRegisteredModel(name)
    expect(found.items).toEqual([model])
    expect(
      model.latestVersions.map((version) => [version.version, version.currentStage, version.tags]),
    ).toEqual([
      ['2', 'Staging', [{ key: 'v', value: '2' }]],
      ['3', 'Production', [{ key: 'v', value: '3' }]],
      ['4', 'None', [{ key: 'v', value: '4' }]],
    ])
    expect(model.tags.map((tag) => tag.key)).toEqual(['a', 'b'])
    expect(model.aliases).toEqual([
      { alias: 'alpha', version: '3' },
      { alias: 'zeta', version: '1' },
    ])
  })

  it('searches model versions by name, run id, version number and tags', async () => {
    const name = `${prefix}-versions`
    await registry().createRegisteredModel({ name })
    for (let index = 1; index <= 4; index++) {
      await registry().createModelVersion({
        name,
        source: `s3://b/${index}`,
        runId: index % 2 === 0 ? 'even' : 'odd',
        tags: [{ key: 'n', value: String(index) }],
      })
    }
    const search = (filter: string, orderBy: string[] = [], maxResults = 100, offset = 0) =>
      registry().searchModelVersions({
        filter: parseSearchFilter(filter, 'model_versions'),
        orderBy: parseOrderBy(orderBy, 'model_versions'),
        maxResults,
        offset,
      })
    const versions = (page: { items: { version: string }[] }) => page.items.map((version) => version.version)
    expect(versions(await search(`name = '${name}'`, ['version_number ASC']))).toEqual(['1', '2', '3', '4'])
    expect(versions(await search(`name = '${name}' AND run_id = 'even'`, ['version_number DESC']))).toEqual([
      '4',
      '2',
    ])
    expect(
      versions(await search(`name = '${name}' AND version_number >= 3`, ['version_number ASC'])),
    ).toEqual(['3', '4'])
    expect(versions(await search(`name = '${name}' AND tags.n = '1'`))).toEqual(['1'])
    expect(versions(await search(`name = '${name}' AND source_path LIKE 's3://b/%'`, [], 3))).toHaveLength(3)
    await registry().deleteModelVersion(name, 4)
    expect(versions(await search(`name = '${name}'`))).toEqual(['3', '2', '1'])
    const page = await search(`name = '${name}'`, ['version_number ASC'], 2)
    expect(page.nextOffset).toBe(2)
  })
})

describeEachStore('registry store: logged models and webhooks', (getStore) => {
  const registry = () => registryStoreOf(getStore())

  it('creates logged models under the experiment and finalizes, tags and deletes them', async () => {
    const experimentId = await getStore().createExperiment({ name: uniqueName('lm') })
    const experiment = await getStore().getExperiment(experimentId)
    const model = await registry().createLoggedModel({
      experimentId,
      name: 'clf',
      modelType: 'sklearn',
      params: [{ key: 'alpha', value: '0.1' }],
      tags: [{ key: 't', value: '1' }],
    })
    expect(model.modelId).toMatch(/^m-[0-9a-f]{32}$/)
    expect(model.artifactUri).toBe(`${experiment.artifactLocation}/models/${model.modelId}/artifacts`)
    expect(model.status).toBe('LOGGED_MODEL_PENDING')
    const ready = await registry().finalizeLoggedModel(model.modelId, 'LOGGED_MODEL_READY')
    expect(ready.status).toBe('LOGGED_MODEL_READY')
    await registry().setLoggedModelTags(model.modelId, [{ key: 't', value: '2' }])
    await registry().logLoggedModelParams(model.modelId, [{ key: 'beta', value: '2' }])
    await registry().logLoggedModelMetrics([
      {
        modelId: model.modelId,
        runId: 'r1',
        key: 'acc',
        value: 0.9,
        timestamp: 1,
        step: 0,
        datasetName: 'd',
      },
    ])
    const loaded = await registry().getLoggedModel(model.modelId)
    expect(loaded.tags).toEqual([{ key: 't', value: '2' }])
    expect(loaded.params.map((param) => param.key)).toEqual(['alpha', 'beta'])
    expect(loaded.metrics).toMatchObject([{ key: 'acc', value: 0.9, runId: 'r1', datasetName: 'd' }])
    await registry().deleteLoggedModelTag(model.modelId, 't')
    await expectError(registry().deleteLoggedModelTag(model.modelId, 't'), 'RESOURCE_DOES_NOT_EXIST')
    await registry().deleteLoggedModel(model.modelId)
    await expectError(
      registry().getLoggedModel(model.modelId),
      'RESOURCE_DOES_NOT_EXIST',
      `Logged model with ID '${model.modelId}' not found.`,
    )
    await expectError(
      registry().createLoggedModel({ experimentId: '999999', name: 'x' }),
      'RESOURCE_DOES_NOT_EXIST',
    )
  })

  it('searches logged models by attributes, metrics, params and tags, ordered by a metric', async () => {
    const experimentId = await getStore().createExperiment({ name: uniqueName('lm-search') })
    const ids: string[] = []
    for (let index = 0; index < 3; index++) {
      const model = await registry().createLoggedModel({
        experimentId,
        name: `m${index}`,
        params: [{ key: 'p', value: String(index) }],
        tags: [{ key: 'parity', value: index % 2 === 0 ? 'even' : 'odd' }],
      })
      ids.push(model.modelId)
      await registry().logLoggedModelMetrics([
        {
          modelId: model.modelId,
          runId: 'r',
          key: 'acc',
          value: index / 10,
          timestamp: 1,
          step: 0,
          datasetName: 'eval',
        },
      ])
    }
    const search = (filter: string, orderBy = [] as { fieldName: string; ascending: boolean }[]) =>
      registry().searchLoggedModels({
        experimentIds: [experimentId],
        comparisons: parseLoggedModelFilter(filter),
        datasets: [],
        orderBy,
        maxResults: 50,
        offset: 0,
      })
    const names = (page: { items: { name: string }[] }) => page.items.map((model) => model.name)
    expect(
      names(await search('metrics.acc > 0.05', [{ fieldName: 'metrics.acc', ascending: true }])),
    ).toEqual(['m1', 'm2'])
    expect(names(await search("tags.parity = 'even' AND params.p != '0'"))).toEqual(['m2'])
    expect(names(await search("name IN ('m0', 'm1')", [{ fieldName: 'name', ascending: true }]))).toEqual([
      'm0',
      'm1',
    ])
    const byDataset = await registry().searchLoggedModels({
      experimentIds: [experimentId],
      comparisons: [],
      datasets: [{ datasetName: 'other' }],
      orderBy: [],
      maxResults: 50,
      offset: 0,
    })
    expect(byDataset.items).toEqual([])
  })

  it('links a version made from a logged model to the model and to its run', async () => {
    const experimentId = await getStore().createExperiment({ name: uniqueName('lineage') })
    const run = await getStore().createRun({
      experimentId,
      userId: 'u',
      runName: 'r',
      startTime: 1,
      tags: [],
    })
    const model = await registry().createLoggedModel({ experimentId, name: 'm', sourceRunId: run.info.runId })
    const name = uniqueName('lineage')
    await registry().createRegisteredModel({ name })
    await registry().createModelVersion({
      name,
      source: `models:/${model.modelId}`,
      modelId: model.modelId,
      runId: run.info.runId,
    })
    await registry().createModelVersion({ name, source: `models:/${model.modelId}`, modelId: model.modelId })
    const tag = (await registry().getLoggedModel(model.modelId)).tags.find(
      (entry) => entry.key === 'mlflow.modelVersions',
    )
    expect(JSON.parse(tag?.value ?? '[]')).toEqual([
      { name, version: '1' },
      { name, version: '2' },
    ])
    expect(
      (await registry().listModelVersionsOfRun(run.info.runId)).map((version) => version.version),
    ).toEqual(['1', '2'])
  })

  it('stores webhooks with events, hides deleted ones and keeps a delivery log', async () => {
    const webhook = await registry().createWebhook({
      name: 'hook',
      url: 'http://127.0.0.1:9/hook',
      events: [{ entity: 'model_version', action: 'created' }],
      secret: 's3cret',
    })
    expect(webhook).toMatchObject({
      status: 'ACTIVE',
      events: [{ entity: 'model_version', action: 'created' }],
    })
    expect('secret' in webhook).toBe(false)
    expect((await registry().getWebhook(webhook.webhookId)).secret).toBe('s3cret')
    const forEvent = await registry().listWebhooksForEvent({ entity: 'model_version', action: 'created' })
    expect(forEvent.map((entry) => entry.webhookId)).toContain(webhook.webhookId)
    const updated = await registry().updateWebhook({ webhookId: webhook.webhookId, status: 'DISABLED' })
    expect(updated.status).toBe('DISABLED')
    expect(
      (await registry().listWebhooksForEvent({ entity: 'model_version', action: 'created' })).map(
        (entry) => entry.webhookId,
      ),
    ).not.toContain(webhook.webhookId)
    await registry().recordWebhookDelivery({
      deliveryId: 'd1',
      webhookId: webhook.webhookId,
      entity: 'model_version',
      action: 'created',
      state: 'pending',
      attempts: 0,
      createdAt: 1,
    })
    await registry().updateWebhookDelivery({
      deliveryId: 'd1',
      state: 'succeeded',
      attempts: 1,
      responseStatus: 200,
      lastAttemptAt: 2,
    })
    expect(await registry().listWebhookDeliveries(webhook.webhookId, 10)).toMatchObject([
      { deliveryId: 'd1', state: 'succeeded', attempts: 1, responseStatus: 200 },
    ])
    await registry().deleteWebhook(webhook.webhookId)
    await expectError(
      registry().getWebhook(webhook.webhookId),
      'RESOURCE_DOES_NOT_EXIST',
      `Webhook with ID ${webhook.webhookId} not found.`,
    )
  })
})

describe('parseLoggedModelFilter', () => {
  it('parses MLflow logged-model filters and rejects bad operators', () => {
    expect(parseLoggedModelFilter("metrics.acc >= 0.5 AND tags.`a.b` = 'x' AND creation_time > 5")).toEqual([
      { entity: 'metric', key: 'acc', comparator: '>=', value: 0.5 },
      { entity: 'tag', key: 'a.b', comparator: '=', value: 'x' },
      { entity: 'attribute', key: 'creation_timestamp_ms', comparator: '>', value: 5 },
    ])
    expect(() => parseLoggedModelFilter("metrics.acc LIKE 'x'")).toThrow(/Invalid comparison operator/)
    expect(() => parseLoggedModelFilter("foo.bar = 'x'")).toThrow(/Invalid entity type/)
    expect(() => parseLoggedModelFilter("name = 'x' OR name = 'y'")).toThrow(/separated by 'AND'/)
  })
})
