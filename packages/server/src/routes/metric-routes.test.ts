import { parseExactJson } from '@cairn/core'
import { describe, expect, it } from 'vitest'
import { describeEachStore } from '../test-support/store-fixtures.js'
import {
  AJAX,
  API,
  createExperiment,
  createRun,
  expectError,
  expectOk,
  getRun,
} from '../test-support/test-data.js'

interface WireMetric {
  key: string
  value: number | string
  timestamp: number
  step: number
  run_id?: string
}

describeEachStore('metric and log-batch routes', (context) => {
  async function newRunId(): Promise<string> {
    return (await createRun(context.api, await createExperiment(context.api))).info.run_id
  }

  async function logBatch(runId: string, body: Record<string, unknown>) {
    return context.api.post(`${API}/runs/log-batch`, { run_id: runId, ...body })
  }

  it('logs a batch of metrics, params and tags in one call', async () => {
    const runId = await newRunId()
    const response = await logBatch(runId, {
      metrics: [
        { key: 'metric', value: 123.456, timestamp: 789, step: 3 },
        { key: 'metric', value: 1, timestamp: 790, step: 4 },
        { key: 'nan', value: 'NaN', timestamp: 1, step: 0 },
        { key: 'no-step', value: 2.5, timestamp: 123456789 },
      ],
      params: [
        { key: 'param', value: 'value' },
        { key: 'empty', value: '' },
      ],
      tags: [{ key: 'taggity', value: 'do-dah' }, { key: 'empty' }],
    })
    expectOk(response)
    expect(response.body).toEqual({})
    const run = await getRun(context.api, runId)
    const metrics = Object.fromEntries(run.data.metrics.map((m: WireMetric) => [m.key, m]))
    expect(metrics.metric).toMatchObject({ value: 1, step: 4, timestamp: 790 })
    expect(metrics.nan.value).toBe('NaN')
    expect(metrics['no-step']).toMatchObject({ value: 2.5, step: 0 })
  })

  it('accepts batches at every limit and rejects each one just over it, storing nothing', async () => {
    const runId = await newRunId()
    const metrics = (count: number, key = 'm') =>
      Array.from({ length: count }, (_, index) => ({
        key: `${key}${index % 50}`,
        value: index,
        timestamp: 1,
        step: index,
      }))
    const params = (count: number) =>
      Array.from({ length: count }, (_, index) => ({ key: `p${index}`, value: 'v' }))
    const tags = (count: number) =>
      Array.from({ length: count }, (_, index) => ({ key: `t${index}`, value: 'v' }))

    expectOk(await logBatch(runId, { metrics: metrics(1000) }))
    expectOk(await logBatch(runId, { metrics: metrics(800, 'x'), params: params(100), tags: tags(100) }))

    const otherRun = await newRunId()
    const over: [Record<string, unknown>, string][] = [
      [
        { metrics: metrics(1001) },
        'A batch logging request can contain at most 1000 metrics. Got 1001 metrics.',
      ],
      [{ params: params(101) }, 'A batch logging request can contain at most 100 params. Got 101 params.'],
      [{ tags: tags(101) }, 'A batch logging request can contain at most 100 tags. Got 101 tags.'],
      [
        { metrics: metrics(900), params: params(100), tags: tags(1) },
        'A batch logging request can contain at most 1000 metrics, params, and tags. Got 1001 metrics, params, and tags.',
      ],
    ]
    for (const [body, message] of over) {
      expect(expectError(await logBatch(otherRun, body), 400, 'INVALID_PARAMETER_VALUE')).toContain(message)
    }
    const untouched = await getRun(context.api, otherRun)
    expect(untouched.data.metrics).toBeUndefined()
    expect(untouched.data.params).toBeUndefined()
  })

  it('rejects an invalid metric anywhere in a batch and stores nothing of it', async () => {
    const runId = await newRunId()
    const response = await logBatch(runId, {
      params: [{ key: 'ok', value: '1' }],
      metrics: [
        { key: 'good', value: 1, timestamp: 1 },
        { key: 'bad!key', value: 2, timestamp: 1 },
      ],
    })
    expect(expectError(response, 400, 'INVALID_PARAMETER_VALUE')).toContain(
      "for parameter 'metrics[1].name' supplied",
    )
    const run = await getRun(context.api, runId)
    expect(run.data.params).toBeUndefined()
    expect(run.data.metrics).toBeUndefined()
  })

  it('validates log-batch fields with MLflow’s messages', async () => {
    const runId = await newRunId()
    for (const field of ['metrics', 'params', 'tags']) {
      expect(
        expectError(await logBatch(runId, { [field]: 'foo' }), 400, 'INVALID_PARAMETER_VALUE'),
      ).toContain(`Invalid value "foo" for parameter '${field}' supplied`)
    }
    const cases: [Record<string, unknown>, string][] = [
      [
        { metrics: [{ key: 'mae', value: 2.5 }] },
        "Missing value for required parameter 'metrics[0].timestamp'.",
      ],
      [{ metrics: [{ value: 2.5, timestamp: 1 }] }, "Missing value for required parameter 'metrics[0].key'."],
      [{ metrics: [{ key: 'k', timestamp: 1 }] }, "Missing value for required parameter 'metrics[0].value'."],
      [{ params: [{ value: 'v' }] }, "Missing value for required parameter 'params[0].key'."],
      [{ tags: [{ key: '' }] }, "Missing value for required parameter 'tags[0].key'."],
      [
        { metrics: [{ key: 'k', value: 1, timestamp: -1 }] },
        "Invalid value -1 for parameter 'metrics[0].timestamp'",
      ],
      [{ params: [{ key: 'a//b', value: 'v' }] }, 'Invalid value "a//b" for parameter \'params[0].key\''],
      [{ tags: [{ key: 'x', value: 5 }] }, "Invalid value 5 for parameter 'tags[0].value'"],
      [
        {
          params: [
            { key: 'a', value: '1' },
            { key: 'a', value: '2' },
          ],
        },
        "Duplicate parameter keys have been submitted: ['a'].",
      ],
    ]
    for (const [body, message] of cases) {
      expect(expectError(await logBatch(runId, body), 400, 'INVALID_PARAMETER_VALUE')).toContain(message)
    }
    expect(
      expectError(
        await context.api.post(`${API}/runs/log-batch`, { metrics: [] }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toContain("Missing value for required parameter 'run_id'")
    expect(expectError(await logBatch('not a run id!', {}), 400, 'INVALID_PARAMETER_VALUE')).toBe(
      'Invalid value "not a run id!" for parameter \'run_id\' supplied.',
    )
    expect((await getRun(context.api, runId)).data.params).toBeUndefined()
  })

  it('refuses a changed param in a batch and keeps the first value', async () => {
    const runId = await newRunId()
    expectOk(await logBatch(runId, { params: [{ key: 'lr', value: '0.1' }] }))
    expectOk(await logBatch(runId, { params: [{ key: 'lr', value: '0.1' }] }))
    expectError(
      await logBatch(runId, { params: [{ key: 'lr', value: '0.2' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expect((await getRun(context.api, runId)).data.params).toEqual([{ key: 'lr', value: '0.1' }])
  })

  it('accepts a log-batch at every entity limit at once (about 1.5 MB)', async () => {
    const runId = await newRunId()
    const params = Array.from({ length: 100 }, (_, index) => ({ key: `p${index}`, value: 'p'.repeat(6000) }))
    const tags = Array.from({ length: 100 }, (_, index) => ({ key: `t${index}`, value: 't'.repeat(8000) }))
    expect((await logBatch(runId, { params, tags })).status).toBe(200)
    const run = await getRun(context.api, runId)
    expect(run.data.params).toHaveLength(100)
    expect(run.data.tags.filter((tag: { key: string }) => tag.key.startsWith('t'))).toHaveLength(100)
  })

  it('refuses log-batch bodies over 4 MiB without storing anything', async () => {
    const runId = await newRunId()
    const params = [{ key: 'big', value: 'x'.repeat(4 * 1024 * 1024) }]
    const message = expectError(await logBatch(runId, { params }), 400, 'INVALID_PARAMETER_VALUE')
    expect(message).toMatch(
      /^Batched logging API requests must be at most 4194304 bytes, got a request of size \d+\.$/,
    )
    expect((await getRun(context.api, runId)).data.params).toBeUndefined()
  })

  it('returns the whole history, ordered by timestamp, step and value, streamed', async () => {
    const runId = await newRunId()
    const points: [number, number, number][] = [
      [3, 30, 1],
      [1, 10, 0],
      [2, 10, 2],
      [2.5, 10, 2],
      [4, 40, 3],
      [0.5, 5, 9],
    ]
    expectOk(
      await logBatch(runId, {
        metrics: points.map(([value, timestamp, step]) => ({ key: 'curve', value, timestamp, step })),
      }),
    )
    const history = await context.api.get(`${API}/metrics/get-history`, {
      run_id: runId,
      metric_key: 'curve',
    })
    expectOk(history)
    expect(history.headers.get('content-type')).toContain('application/json')
    expect(history.body.metrics.map((m: WireMetric) => [m.timestamp, m.step, m.value])).toEqual(
      points
        .map(([value, timestamp, step]) => [timestamp, step, value])
        .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!),
    )
    expect(history.body.next_page_token).toBeUndefined()
    expect(history.body.metrics[0]).toMatchObject({ key: 'curve' })

    const unknownKey = await context.api.get(`${API}/metrics/get-history`, {
      run_id: runId,
      metric_key: 'never',
    })
    expectOk(unknownKey)
    expect(unknownKey.body).toEqual({})

    for (const maxResults of ['0', '-3']) {
      const message = expectError(
        await context.api.get(`${API}/metrics/get-history`, {
          run_id: runId,
          metric_key: 'curve',
          max_results: maxResults,
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expect(message).toBe(
        `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be a positive integer.`,
      )
    }
  })

  it('streams a history of many points as one valid JSON document', async () => {
    const runId = await newRunId()
    for (let start = 0; start < 5000; start += 1000) {
      const metrics = Array.from({ length: 1000 }, (_, index) => ({
        key: 'long',
        value: start + index === 7 ? 'NaN' : start + index,
        timestamp: 1000 + start + index,
        step: start + index,
      }))
      expectOk(await logBatch(runId, { metrics }))
    }
    const history = await context.api.get(`${API}/metrics/get-history`, { run_id: runId, metric_key: 'long' })
    expectOk(history)
    expect(history.body.metrics).toHaveLength(5000)
    expect(history.body.metrics[7].value).toBe('NaN')
    expect(history.body.metrics.map((m: WireMetric) => m.step)).toEqual(
      Array.from({ length: 5000 }, (_, index) => index),
    )
  })

  it('keeps every double exactly through the streamed and paged history', async () => {
    const runId = await newRunId()
    const values = [1 / 3, 0.1 + 0.2, 123456789.12345679, 5e-324, -2.2250738585072014e-308, 1e300, 42]
    const metrics = values.map((value, step) => ({ key: 'precise', value, timestamp: step, step }))
    expectOk(await logBatch(runId, { metrics }))
    const streamed = await context.api.get(`${API}/metrics/get-history`, {
      run_id: runId,
      metric_key: 'precise',
    })
    expect(streamed.body.metrics.map((m: WireMetric) => m.value)).toEqual(values)
    const paged = await context.api.get(`${API}/metrics/get-history`, {
      run_id: runId,
      metric_key: 'precise',
      max_results: 100,
    })
    expect(paged.body.metrics.map((m: WireMetric) => m.value)).toEqual(values)
    const latest = (await getRun(context.api, runId)).data.metrics[0]
    expect(latest.value).toBe(42)
  })

  it('pages the history with max_results and page_token', async () => {
    const runId = await newRunId()
    const metrics = Array.from({ length: 10 }, (_, step) => ({
      key: 'paged',
      value: step,
      timestamp: 100 + step,
      step,
    }))
    expectOk(await logBatch(runId, { metrics }))
    const pages: number[][] = []
    let token: string | undefined
    do {
      const page = await context.api.get(`${API}/metrics/get-history`, {
        run_id: runId,
        metric_key: 'paged',
        max_results: 4,
        page_token: token,
      })
      expectOk(page)
      pages.push(page.body.metrics.map((m: WireMetric) => m.step))
      token = page.body.next_page_token
    } while (token && pages.length < 5)
    expect(pages).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ])
    expectError(
      await context.api.get(`${API}/metrics/get-history`, {
        run_id: runId,
        metric_key: 'paged',
        page_token: '!!nope',
      }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expectError(
      await context.api.get(`${API}/metrics/get-history`, {
        run_id: runId,
        metric_key: 'paged',
        max_results: 'x',
      }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expect(
      expectError(
        await context.api.get(`${API}/metrics/get-history`, { run_id: runId }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toContain("Missing value for required parameter 'metric_key'")
  })

  describe('page tokens with the position of the last point', () => {
    const decode = (token: string) => parseExactJson(atob(token)) as { offset: number; after?: unknown[] }
    const encode = (text: string) => btoa(text)

    async function historyWithTies(): Promise<{ runId: string; all: WireMetric[] }> {
      const runId = await newRunId()
      // Equal timestamps, equal steps with different values and a NaN: only the full key orders them.
      const metrics = Array.from({ length: 30 }, (_, index) => ({
        key: 'deep',
        value: index === 9 ? 'NaN' : (index % 4) - 1.5,
        timestamp: 1000 + Math.floor(index / 6),
        step: Math.floor(index / 2) % 3,
      }))
      expectOk(await logBatch(runId, { metrics }))
      const full = await context.api.get(`${API}/metrics/get-history`, { run_id: runId, metric_key: 'deep' })
      expectOk(full)
      return { runId, all: full.body.metrics }
    }

    async function page(runId: string, maxResults: number, pageToken?: string) {
      return context.api.get(`${API}/metrics/get-history`, {
        run_id: runId,
        metric_key: 'deep',
        max_results: maxResults,
        page_token: pageToken,
      })
    }

    it('hands out MLflow tokens plus the position, and pages deep histories to the same points', async () => {
      const { runId, all } = await historyWithTies()
      expect(all).toHaveLength(30)
      const points: WireMetric[] = []
      const tokens: string[] = []
      let token: string | undefined
      do {
        const response = await page(runId, 4, token)
        expectOk(response)
        points.push(...response.body.metrics)
        token = response.body.next_page_token
        if (token) tokens.push(token)
      } while (token && tokens.length < 20)
      expect(points).toEqual(all)
      expect(tokens).toHaveLength(7)
      expect(tokens.map((text) => decode(text).offset)).toEqual([4, 8, 12, 16, 20, 24, 28])
      const last = all[7]!
      expect(decode(tokens[1]!).after).toEqual([last.timestamp, last.step, last.value, 0])
      expect(atob(tokens[0]!)).toMatch(/^\{"offset": 4, "after": \[/)
    })

    it('continues after the position, not the offset, when a token carries both', async () => {
      const { runId, all } = await historyWithTies()
      const eighth = all[7]!
      const token = encode(
        `{"offset": 2, "after": [${eighth.timestamp}, ${eighth.step}, ${eighth.value}, 0]}`,
      )
      const response = await page(runId, 3, token)
      expectOk(response)
      expect(response.body.metrics).toEqual(all.slice(8, 11))
      expect(decode(response.body.next_page_token).offset).toBe(5)
      const afterNan = all[9]!
      expect(afterNan.value).toBe('NaN')
      const nanToken = encode(`{"offset": 10, "after": [${afterNan.timestamp}, ${afterNan.step}, 0, 1]}`)
      expect((await page(runId, 2, nanToken)).body.metrics).toEqual(all.slice(10, 12))
    })

    it('still reads MLflow’s offset-only tokens by offset', async () => {
      const { runId, all } = await historyWithTies()
      const response = await page(runId, 5, encode('{"offset": 13}'))
      expectOk(response)
      expect(response.body.metrics).toEqual(all.slice(13, 18))
      const next = decode(response.body.next_page_token)
      expect(next.offset).toBe(18)
      expect((await page(runId, 100, response.body.next_page_token)).body.metrics).toEqual(all.slice(18))
      const end = await page(runId, 5, encode('{"offset": 30}'))
      expectOk(end)
      expect(end.body).toEqual({})
    })

    it('rejects tokens whose position is malformed', async () => {
      const { runId } = await historyWithTies()
      for (const after of [
        '"x"',
        '[]',
        '[1, 2, 3]',
        '[1, 2, 3, 0, 5]',
        '[1.5, 2, 3, 0]',
        '[1, "2", 3, 0]',
        '[1, 2, "3", 0]',
        '[1, 2, 3, 2]',
        '[1, 2, null, 0]',
        '{"timestamp": 1}',
      ]) {
        expect(
          expectError(
            await page(runId, 4, encode(`{"offset": 4, "after": ${after}}`)),
            400,
            'INVALID_PARAMETER_VALUE',
          ),
        ).toContain('Invalid page token')
      }
      expectError(await page(runId, 4, encode('{"after": [1, 2, 3, 0]}')), 400, 'INVALID_PARAMETER_VALUE')
      expectError(await page(runId, 4, 'bm90IGpzb24='), 400, 'INVALID_PARAMETER_VALUE')
      expectError(await page(runId, 4, '!!nope'), 400, 'INVALID_PARAMETER_VALUE')
    })

    it('answers an empty page for an unknown run', async () => {
      const response = await context.api.get(`${API}/metrics/get-history`, {
        run_id: 'f'.repeat(32),
        metric_key: 'x',
        max_results: 10,
      })
      expectOk(response)
      expect(response.body).toEqual({})
    })
  })

  it('answers an empty history for an unknown run, as MLflow’s SQL store does', async () => {
    const response = await context.api.get(`${API}/metrics/get-history`, {
      run_id: 'f'.repeat(32),
      metric_key: 'x',
    })
    expectOk(response)
    expect(response.body.metrics ?? []).toEqual([])
  })

  it('samples histories across runs with get-history-bulk-interval', async () => {
    const first = await newRunId()
    const second = await newRunId()
    for (const runId of [first, second]) {
      const metrics = Array.from({ length: 20 }, (_, step) => ({
        key: 'loss',
        value: step,
        timestamp: step,
        step,
      }))
      expectOk(await logBatch(runId, { metrics }))
    }
    const all = await context.api.get(`${API}/metrics/get-history-bulk-interval`, {
      run_ids: [first, second],
      metric_key: 'loss',
    })
    expectOk(all)
    expect(all.body.metrics).toHaveLength(40)
    expect(new Set(all.body.metrics.map((m: WireMetric) => m.run_id))).toEqual(new Set([first, second]))

    const ranged = await context.api.get(`${API}/metrics/get-history-bulk-interval`, {
      run_ids: [first],
      metric_key: 'loss',
      start_step: 5,
      end_step: 9,
    })
    expectOk(ranged)
    expect(ranged.body.metrics.map((m: WireMetric) => m.step)).toEqual([5, 6, 7, 8, 9])

    const sampled = await context.api.get(`${API}/metrics/get-history-bulk-interval`, {
      run_ids: [first],
      metric_key: 'loss',
      max_results: 5,
    })
    expectOk(sampled)
    const steps = sampled.body.metrics.map((m: WireMetric) => m.step)
    expect(steps).toContain(0)
    expect(steps).toContain(19)
    expect(steps.length).toBeLessThanOrEqual(7)
  })

  it('validates get-history-bulk-interval requests with MLflow’s messages', async () => {
    const runId = await newRunId()
    const call = (query: Record<string, string | number | string[] | undefined>) =>
      context.api.get(`${API}/metrics/get-history-bulk-interval`, {
        metric_key: 'loss',
        run_ids: [runId],
        ...query,
      })
    const cases: [Record<string, string | number | string[] | undefined>, string][] = [
      [{ run_ids: undefined }, "Missing value for required parameter 'run_ids'."],
      [{ metric_key: undefined }, "Missing value for required parameter 'metric_key'."],
      [
        { run_ids: Array.from({ length: 101 }, (_, index) => `r${index}`) },
        'GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received 101 run_ids.',
      ],
      [{ max_results: 0 }, 'max_results must be between 1 and 2500.'],
      [{ max_results: 2501 }, 'max_results must be between 1 and 2500.'],
      [{ start_step: 1 }, 'If either start step or end step are specified, both must be specified.'],
      [{ end_step: 1 }, 'If either start step or end step are specified, both must be specified.'],
      [
        { start_step: 5, end_step: 1 },
        'end_step must be greater than start_step. Found start_step=5 and end_step=1.',
      ],
      [{ start_step: 'a', end_step: 1 }, "for parameter 'start_step' supplied"],
    ]
    for (const [query, message] of cases) {
      expect(expectError(await call(query), 400, 'INVALID_PARAMETER_VALUE')).toContain(message)
    }
    expectOk(await call({ max_results: 2500 }))
    expectOk(await call({ max_results: 1 }))
    expectOk(await call({ run_ids: Array.from({ length: 100 }, (_, index) => `r${index}`) }))
  })

  it('serves get-history-bulk to the UI, sorted by run and capped', async () => {
    const first = await newRunId()
    const second = await newRunId()
    for (const runId of [first, second]) {
      const metrics = Array.from({ length: 3 }, (_, step) => ({
        key: 'acc',
        value: step,
        timestamp: 10 - step,
        step,
      }))
      expectOk(await logBatch(runId, { metrics }))
    }
    const response = await context.api.get(`${AJAX}/metrics/get-history-bulk`, {
      run_id: [second, first],
      metric_key: 'acc',
    })
    expectOk(response)
    const runIds = response.body.metrics.map((m: WireMetric) => m.run_id)
    expect(runIds).toEqual([...runIds].sort())
    expect(response.body.metrics).toHaveLength(6)
    expect(
      response.body.metrics.filter((m: WireMetric) => m.run_id === first).map((m: WireMetric) => m.timestamp),
    ).toEqual([8, 9, 10])
    const capped = await context.api.get(`${AJAX}/metrics/get-history-bulk`, {
      run_id: [first, second],
      metric_key: 'acc',
      max_results: 4,
    })
    expect(capped.body.metrics).toHaveLength(4)

    expect(
      expectError(
        await context.api.get(`${AJAX}/metrics/get-history-bulk`, { metric_key: 'acc' }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toBe('GetMetricHistoryBulk request must specify at least one run_id.')
    expect(
      expectError(
        await context.api.get(`${AJAX}/metrics/get-history-bulk`, { run_id: first }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toBe('GetMetricHistoryBulk request must specify a metric_key.')
    const tooMany = Array.from({ length: 101 }, (_, index) => `r${index}`)
    expect(
      expectError(
        await context.api.get(`${AJAX}/metrics/get-history-bulk`, { run_id: tooMany, metric_key: 'acc' }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toBe('GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received 101 run_ids.')
    expect(
      (await context.api.get(`${API}/metrics/get-history-bulk`, { run_id: first, metric_key: 'acc' })).status,
    ).toBe(404)
  })

  describe('int64 steps and timestamps beyond 2^53', () => {
    /** Posts a body written by hand, so integer literals reach the server exactly as MLflow's client writes them. */
    const postRaw = (path: string, rawBody: string) =>
      context.api.post(`${API}${path}`, undefined, { rawBody })
    // biome-ignore lint/suspicious/noExplicitAny: wire JSON
    const exact = (text: string) => parseExactJson(text) as any
    const steps = (metrics: { step: unknown }[] | undefined) => (metrics ?? []).map((metric) => metric.step)

    it('logs them with log-metric and log-batch and returns them exactly from every read', async () => {
      const runId = await newRunId()
      expectOk(
        await postRaw(
          '/runs/log-metric',
          `{"run_id":"${runId}","key":"i64","value":1,"timestamp":1,"step":9007199254740993}`,
        ),
      )
      expectOk(
        await postRaw(
          '/runs/log-metric',
          `{"run_id":"${runId}","key":"i64","value":1,"timestamp":1,"step":"1795000000000000001"}`,
        ),
      )
      expectOk(
        await postRaw(
          '/runs/log-batch',
          `{"run_id":"${runId}","metrics":[{"key":"i64","value":1,"timestamp":1,"step":-4611686018427387904},` +
            `{"key":"i64","value":2,"timestamp":1,"step":9007199254740992},` +
            `{"key":"late","value":2,"timestamp":4611686018427387904,"step":0}]}`,
        ),
      )
      const order = [-(2n ** 62n), 2n ** 53n, 2n ** 53n + 1n, 1_795_000_000_000_000_001n]

      const streamed = await context.api.get(`${API}/metrics/get-history`, {
        run_id: runId,
        metric_key: 'i64',
      })
      expectOk(streamed)
      expect(streamed.text).toContain('"step":9007199254740993')
      expect(steps(exact(streamed.text).metrics)).toEqual(order)
      const paged = await context.api.get(`${API}/metrics/get-history`, {
        run_id: runId,
        metric_key: 'i64',
        max_results: 2,
      })
      expect(steps(exact(paged.text).metrics)).toEqual(order.slice(0, 2))
      const late = await context.api.get(`${API}/metrics/get-history`, {
        run_id: runId,
        metric_key: 'late',
        max_results: 10,
      })
      expect(late.text).toContain('"timestamp":4611686018427387904')

      const run = exact((await context.api.get(`${API}/runs/get`, { run_id: runId })).text).run
      expect(run.data.metrics).toEqual([
        { key: 'i64', value: 1, timestamp: 1, step: 1_795_000_000_000_000_001n },
        { key: 'late', value: 2, timestamp: 2n ** 62n, step: 0 },
      ])
      const search = await context.api.post(`${API}/runs/search`, {
        experiment_ids: [run.info.experiment_id],
        order_by: ['metrics.i64 DESC'],
      })
      expect(exact(search.text).runs[0].data.metrics[0].step).toBe(1_795_000_000_000_000_001n)

      const interval = await context.api.get(`${API}/metrics/get-history-bulk-interval`, {
        run_ids: [runId],
        metric_key: 'i64',
      })
      expectOk(interval)
      // Negative steps are outside the default range (0 to the last step), as in MLflow.
      expect(steps(exact(interval.text).metrics)).toEqual(order.slice(1))
      const bulk = await context.api.get(`${AJAX}/metrics/get-history-bulk`, {
        run_id: runId,
        metric_key: 'i64',
      })
      expect(steps(exact(bulk.text).metrics)).toEqual(order)
    })

    it('refuses values outside the int64 range with MLflow’s message', async () => {
      const runId = await newRunId()
      const hint = ' See the API docs for more information about request parameters.'
      expect(
        expectError(
          await postRaw(
            '/runs/log-metric',
            `{"run_id":"${runId}","key":"k","value":1,"timestamp":1,"step":9223372036854775808}`,
          ),
          400,
          'INVALID_PARAMETER_VALUE',
        ),
      ).toBe(
        `Invalid value 9223372036854775808 for parameter 'step' supplied:  Hint: Value was of type 'int'.${hint}`,
      )
      expect(
        expectError(
          await postRaw(
            '/runs/log-batch',
            `{"run_id":"${runId}","metrics":[{"key":"k","value":1,"timestamp":-9223372036854775809,"step":0}]}`,
          ),
          400,
          'INVALID_PARAMETER_VALUE',
        ),
      ).toBe(
        `Invalid value -9223372036854775809 for parameter 'metrics[0].timestamp' supplied:  Hint: Value was of type 'int'.${hint}`,
      )
      expect(
        expectError(
          await postRaw(
            '/runs/log-metric',
            `{"run_id":"${runId}","key":"k","value":1,"timestamp":-9007199254740993,"step":0}`,
          ),
          400,
          'INVALID_PARAMETER_VALUE',
        ),
      ).toBe(
        "Invalid value -9007199254740993 for parameter 'timestamp' supplied: metric 'k' (value=1.0). Timestamp must be a nonnegative long (64-bit integer) ",
      )
      const history = await context.api.get(`${API}/metrics/get-history`, { run_id: runId, metric_key: 'k' })
      expect(history.body).toEqual({})
    })
  })
})
