// SCRATCH: throwaway in-memory store for developing the HTTP layer before the real store lands. Delete.

import type { Experiment, Metric, Run, RunInfo } from '@cairn/core'
import { MlflowError } from '@cairn/core'
import type { TrackingStore } from '@cairn/store'

export function createScratchStore(): TrackingStore {
  const experiments = new Map<string, Experiment>()
  const runs = new Map<string, Run>()
  const history = new Map<string, Metric[]>()
  let nextId = 1
  experiments.set('0', {
    experimentId: '0',
    name: 'Default',
    artifactLocation: '/tmp/0',
    lifecycleStage: 'active',
    creationTime: 1,
    lastUpdateTime: 1,
    tags: [],
  })
  const getRun = (id: string) => {
    const run = runs.get(id)
    if (!run) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run '${id}' not found`)
    return run
  }
  const store: TrackingStore = {
    dialect: 'sqlite',
    defaultArtifactRoot: '/tmp',
    async createExperiment(input) {
      for (const e of experiments.values())
        if (e.name === input.name) throw new MlflowError('RESOURCE_ALREADY_EXISTS', 'exists')
      const id = String(nextId++)
      experiments.set(id, {
        experimentId: id,
        name: input.name,
        artifactLocation: input.artifactLocation ?? `/tmp/${id}`,
        lifecycleStage: 'active',
        creationTime: Date.now(),
        lastUpdateTime: Date.now(),
        tags: input.tags ?? [],
      })
      return id
    },
    async getExperiment(id) {
      const e = experiments.get(id)
      if (!e) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${id} exists`)
      return e
    },
    async findExperimentByName(name) {
      return [...experiments.values()].find((e) => e.name === name)
    },
    async searchExperiments(input) {
      const all = [...experiments.values()].filter((e) =>
        input.viewType === 'ALL'
          ? true
          : input.viewType === 'ACTIVE_ONLY'
            ? e.lifecycleStage === 'active'
            : e.lifecycleStage === 'deleted',
      )
      const items = all.slice(input.offset, input.offset + input.maxResults)
      return {
        items,
        nextOffset:
          input.offset + input.maxResults < all.length ? input.offset + input.maxResults : undefined,
      }
    },
    async deleteExperiment(id) {
      ;(await store.getExperiment(id)).lifecycleStage = 'deleted'
    },
    async restoreExperiment(id) {
      ;(await store.getExperiment(id)).lifecycleStage = 'active'
    },
    async renameExperiment(id, name) {
      ;(await store.getExperiment(id)).name = name
    },
    async setExperimentTag(id, tag) {
      const e = await store.getExperiment(id)
      e.tags = [...e.tags.filter((t) => t.key !== tag.key), tag]
    },
    async deleteExperimentTag(id, key) {
      const e = await store.getExperiment(id)
      if (!e.tags.some((t) => t.key === key)) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', 'no tag')
      e.tags = e.tags.filter((t) => t.key !== key)
    },
    async createRun(input) {
      const runId = crypto.randomUUID().replaceAll('-', '')
      const info: RunInfo = {
        runId,
        runName: input.runName,
        experimentId: input.experimentId,
        userId: input.userId,
        status: 'RUNNING',
        startTime: input.startTime,
        artifactUri: `/tmp/${runId}`,
        lifecycleStage: 'active',
      }
      const run: Run = {
        info,
        data: { metrics: [], params: [], tags: [...input.tags] },
        inputs: { datasetInputs: [], modelInputs: [] },
        outputs: { modelOutputs: [] },
      }
      runs.set(runId, run)
      return run
    },
    async getRun(id) {
      return getRun(id)
    },
    async getRunInfo(id) {
      return getRun(id).info
    },
    async updateRun(input) {
      const run = getRun(input.runId)
      if (input.status) run.info.status = input.status
      if (input.endTime !== undefined) run.info.endTime = input.endTime
      if (input.runName) {
        run.info.runName = input.runName
        run.data.tags = [
          ...run.data.tags.filter((t) => t.key !== 'mlflow.runName'),
          { key: 'mlflow.runName', value: input.runName },
        ]
      }
      return run.info
    },
    async deleteRun(id) {
      getRun(id).info.lifecycleStage = 'deleted'
    },
    async restoreRun(id) {
      getRun(id).info.lifecycleStage = 'active'
    },
    async logBatch(input) {
      const run = getRun(input.runId)
      for (const p of input.params) {
        const old = run.data.params.find((x) => x.key === p.key)
        if (old && old.value !== p.value)
          throw new MlflowError('INVALID_PARAMETER_VALUE', 'Changing param values is not allowed')
      }
      for (const p of input.params) if (!run.data.params.some((x) => x.key === p.key)) run.data.params.push(p)
      for (const t of input.tags) run.data.tags = [...run.data.tags.filter((x) => x.key !== t.key), t]
      for (const m of input.metrics) {
        const k = `${input.runId}/${m.key}`
        history.set(k, [...(history.get(k) ?? []), m])
        run.data.metrics = [...run.data.metrics.filter((x) => x.key !== m.key), m]
      }
    },
    async deleteTag(id, key) {
      const run = getRun(id)
      if (!run.data.tags.some((t) => t.key === key))
        throw new MlflowError('RESOURCE_DOES_NOT_EXIST', 'no tag')
      run.data.tags = run.data.tags.filter((t) => t.key !== key)
    },
    async logInputs(id, datasets, models) {
      const run = getRun(id)
      run.inputs.datasetInputs.push(...datasets)
      run.inputs.modelInputs.push(...models)
    },
    async logOutputs(id, models) {
      getRun(id).outputs.modelOutputs.push(...models)
    },
    async searchRuns(input) {
      const all = [...runs.values()].filter((r) => input.experimentIds.includes(r.info.experimentId))
      const items = all.slice(input.offset, input.offset + input.maxResults)
      return {
        items,
        nextOffset:
          input.offset + input.maxResults < all.length ? input.offset + input.maxResults : undefined,
      }
    },
    async getMetricHistory(input) {
      getRun(input.runId)
      const all = history.get(`${input.runId}/${input.metricKey}`) ?? []
      const end = input.maxResults === undefined ? all.length : input.offset + input.maxResults
      return { items: all.slice(input.offset, end), nextOffset: end < all.length ? end : undefined }
    },
    async *streamMetricHistory(runId, key) {
      getRun(runId)
      const all = history.get(`${runId}/${key}`) ?? []
      for (let i = 0; i < all.length; i += 2) yield all.slice(i, i + 2)
    },
    async getMetricHistoryBulk(input) {
      return input.runIds.flatMap((id) =>
        (history.get(`${id}/${input.metricKey}`) ?? []).map((m) => ({ ...m, runId: id })),
      )
    },
    async getMetricHistoryBulkInterval(input) {
      return input.runIds.flatMap((id) =>
        (history.get(`${id}/${input.metricKey}`) ?? []).map((m) => ({ ...m, runId: id })),
      )
    },
    async searchDatasets() {
      return []
    },
    async listDeletedRunIds() {
      return []
    },
    async listDeletedExperimentIds() {
      return []
    },
    async purgeRun() {},
    async purgeExperiment() {},
    async close() {},
  }
  return store
}
