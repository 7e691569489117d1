import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { it } from 'vitest'
import { createTrackingStore } from './create-tracking-store.js'

const FILE = '/tmp/mbstore/perf.db'
it('bucket perf', async () => {
  const fresh = !existsSync(FILE)
  const store = await createTrackingStore(`sqlite:///${FILE}`, { defaultArtifactRoot: '/tmp/mbstore/a' })
  let runIds: string[] = []
  if (fresh) {
    const experimentId = await store.createExperiment({ name: 'perf', tags: [] })
    for (let r = 0; r < 2; r++) {
      const run = await store.createRun({ experimentId, userId: 'u', runName: `r${r}`, startTime: 1, tags: [] })
      runIds.push(run.info.runId)
      for (let offset = 0; offset < 1_000_000; offset += 1000) {
        const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: Math.sin((offset + i) / 1000) + ((offset + i) === 500_000 ? 500 : Math.random()), timestamp: 1_750_000_000_000 + offset + i, step: offset + i }))
        await store.logBatch({ runId: run.info.runId, metrics, params: [], tags: [] })
      }
    }
    writeFileSync('/tmp/mbstore/ids.json', JSON.stringify(runIds))
  } else runIds = JSON.parse(readFileSync('/tmp/mbstore/ids.json', 'utf8'))
  let best = 1e9
  for (const buckets of [760, 760, 760, 760, 760, 760, 760, 760]) {
    const t = performance.now()
    const out = await store.getMetricHistoryBuckets({ runIds: [runIds[0]!], metricKey: 'loss', buckets })
    best = Math.min(best, performance.now() - t)
    console.log('full', buckets, (performance.now() - t).toFixed(1), 'ms', out.length, Math.max(...out.map((b) => b.max)))
  }
  console.log('BEST', best.toFixed(1))
  for (let i = 0; i < 2; i++) {
    const t = performance.now()
    const out = await store.getMetricHistoryBuckets({ runIds: [runIds[0]!], metricKey: 'loss', buckets: 760, startStep: 400_000, endStep: 499_999 })
    console.log('zoom', (performance.now() - t).toFixed(1), 'ms', out.length)
  }
  await store.close()
}, 600_000)
