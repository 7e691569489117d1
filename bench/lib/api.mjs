import { bodyJson, expectOk, getJson, json, postJson } from './http.mjs'

export const API = '/api/2.0/mlflow'

export async function createExperiment(client, name) {
  const { experiment_id: experimentId } = await postJson(client, `${API}/experiments/create`, { name })
  return experimentId
}

export async function getExperiment(client, experimentId) {
  const { experiment } = await getJson(client, `${API}/experiments/get?experiment_id=${experimentId}`)
  return experiment
}

export async function createRun(client, body) {
  const { run } = await postJson(client, `${API}/runs/create`, body)
  return run.info.run_id
}

export async function logBatch(client, body) {
  await postJson(client, `${API}/runs/log-batch`, body)
}

/** Runs `worker(index)` on `concurrency` lanes and waits for all of them. */
export async function lanes(concurrency, worker) {
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)))
}

/** Fires `count` jobs with at most `concurrency` in flight (used for population, not for timing). */
export async function forEachConcurrent(count, concurrency, job) {
  let next = 0
  await lanes(concurrency, async () => {
    for (;;) {
      const index = next++
      if (index >= count) return
      await job(index)
    }
  })
}

export { bodyJson, expectOk, json }
