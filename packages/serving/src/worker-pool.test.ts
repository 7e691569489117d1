import { appendFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { readMlModel } from '@cairn/models'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeCrashingModel } from './test-support/js-models.js'
import { loadModelInWorkers } from './worker-pool.js'

let root: string

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cairn-worker-pool-'))
})

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true })
})

const row = (a: number, sleepMs = 0) => ({
  kind: 'dataframe' as const,
  columns: ['a', 'b'],
  rows: [[a, sleepMs]],
})
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('loadModelInWorkers', () => {
  it('fails the calls of a worker that dies, keeps the others, and replaces it', async () => {
    const directory = await writeCrashingModel(path.join(root, 'crash'))
    const model = await loadModelInWorkers({ directory, metadata: await readMlModel(directory), workers: 2 })
    try {
      const slow = model.predict(row(1, 300))
      const crash = model.predict(row(99))
      await expect(crash).rejects.toThrow(/worker stopped/)
      await expect(slow).resolves.toMatchObject({ kind: 'dataframe' })
      await sleep(300)
      const threads = new Set<unknown>()
      for (let index = 0; index < 6; index++) {
        const outputs = await Promise.all([model.predict(row(1, 20)), model.predict(row(2, 20))])
        for (const output of outputs) if (output.kind === 'dataframe') threads.add(output.rows[0]![0])
      }
      expect(threads.size).toBe(2)
    } finally {
      await model.close()
    }
  })

  it('does not restart a worker that cannot load in a tight loop, and recovers once it can', async () => {
    const directory = await writeCrashingModel(path.join(root, 'broken'))
    const model = await loadModelInWorkers({ directory, metadata: await readMlModel(directory), workers: 1 })
    try {
      const loads = async () =>
        (await readFile(path.join(directory, 'js', 'loads'), 'utf8')).split('\n').length - 1
      expect(await loads()).toBe(1)
      appendFileSync(path.join(directory, 'js', 'broken'), '')
      await expect(model.predict(row(99))).rejects.toThrow(/worker stopped/)
      await sleep(1_000)
      expect(await loads()).toBeLessThanOrEqual(3)
      await expect(model.predict(row(1))).rejects.toThrow()
      await rm(path.join(directory, 'js', 'broken'))
      const deadline = Date.now() + 10_000
      let answered = false
      while (!answered && Date.now() < deadline) {
        answered = await model.predict(row(1)).then(
          () => true,
          () => false,
        )
        if (!answered) await sleep(100)
      }
      expect(answered).toBe(true)
    } finally {
      await model.close()
    }
  }, 20_000)
})
