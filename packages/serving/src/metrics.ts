/** Upper bounds (seconds) of the request latency histogram. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
/** Upper bounds of the batch size histograms (rows per `predict`, requests per `predict`). */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]

class Histogram {
  readonly counts: number[]
  sum = 0
  count = 0

  constructor(readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0)
  }

  observe(value: number): void {
    this.sum += value
    this.count++
    const index = this.buckets.findIndex((bound) => value <= bound)
    if (index >= 0) this.counts[index]! += 1
  }

  render(name: string, labels: string): string[] {
    const lines: string[] = []
    let cumulative = 0
    const prefix = labels ? `${labels},` : ''
    this.buckets.forEach((bound, index) => {
      cumulative += this.counts[index]!
      lines.push(`${name}_bucket{${prefix}le="${bound}"} ${cumulative}`)
    })
    lines.push(`${name}_bucket{${prefix}le="+Inf"} ${this.count}`)
    const suffix = labels ? `{${labels}}` : ''
    lines.push(`${name}_sum${suffix} ${this.sum}`, `${name}_count${suffix} ${this.count}`)
    return lines
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

/** What `/metrics` shows about the model being served. */
export interface ServedModelInfo {
  readonly uri: string
  readonly name?: string
  readonly version?: string
  readonly flavor: string
  readonly modelUuid?: string
  /** Worker threads predicting with it (0: the main thread). */
  readonly workerThreads?: number
}

/**
 * The scoring server's Prometheus metrics, kept as plain counters (a client library would be one more dependency
 * in the container image for a handful of series).
 */
export class ScoringMetrics {
  readonly #requests = new Map<string, number>()
  readonly #errors = new Map<string, number>()
  readonly #latency = new Map<string, Histogram>()
  readonly #batchRows = new Histogram(BATCH_BUCKETS)
  readonly #batchRequests = new Histogram(BATCH_BUCKETS)
  #fallbacks = 0
  #swaps = 0
  #inFlight = 0
  #model: ServedModelInfo | undefined
  readonly #startedAt = Date.now() / 1000

  requestStarted(): void {
    this.#inFlight++
  }

  /** Counts a finished request and its latency. `route` is one of the fixed routes (or `other`). */
  requestFinished(route: string, status: number, seconds: number): void {
    this.#inFlight--
    const key = `${route}\u0000${status}`
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1)
    let histogram = this.#latency.get(route)
    if (!histogram) {
      histogram = new Histogram(LATENCY_BUCKETS)
      this.#latency.set(route, histogram)
    }
    histogram.observe(seconds)
  }

  errorAnswered(errorCode: string): void {
    this.#errors.set(errorCode, (this.#errors.get(errorCode) ?? 0) + 1)
  }

  batchPredicted(rows: number, requests: number): void {
    this.#batchRows.observe(rows)
    this.#batchRequests.observe(requests)
  }

  batchFellBack(): void {
    this.#fallbacks++
  }

  modelLoaded(model: ServedModelInfo, swapped: boolean): void {
    this.#model = model
    if (swapped) this.#swaps++
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  render(): string {
    const lines: string[] = [
      '# HELP cairn_scoring_requests_total Requests answered, by route and HTTP status.',
      '# TYPE cairn_scoring_requests_total counter',
    ]
    for (const [key, count] of this.#requests) {
      const [route, status] = key.split('\u0000')
      lines.push(`cairn_scoring_requests_total{route="${route}",status="${status}"} ${count}`)
    }
    lines.push(
      '# HELP cairn_scoring_errors_total Error answers, by MLflow error code.',
      '# TYPE cairn_scoring_errors_total counter',
    )
    for (const [code, count] of this.#errors) {
      lines.push(`cairn_scoring_errors_total{error_code="${escapeLabel(code)}"} ${count}`)
    }
    lines.push(
      '# HELP cairn_scoring_request_duration_seconds Time from request start to the end of the answer.',
      '# TYPE cairn_scoring_request_duration_seconds histogram',
    )
    for (const [route, histogram] of this.#latency) {
      lines.push(...histogram.render('cairn_scoring_request_duration_seconds', `route="${route}"`))
    }
    lines.push(
      '# HELP cairn_scoring_batch_rows Rows per model prediction (micro-batches merge concurrent requests).',
      '# TYPE cairn_scoring_batch_rows histogram',
      ...this.#batchRows.render('cairn_scoring_batch_rows', ''),
      '# HELP cairn_scoring_batch_requests Requests per model prediction.',
      '# TYPE cairn_scoring_batch_requests histogram',
      ...this.#batchRequests.render('cairn_scoring_batch_requests', ''),
      '# HELP cairn_scoring_batch_fallbacks_total Batches that failed and were predicted request by request.',
      '# TYPE cairn_scoring_batch_fallbacks_total counter',
      `cairn_scoring_batch_fallbacks_total ${this.#fallbacks}`,
      '# HELP cairn_scoring_in_flight_requests Requests being handled.',
      '# TYPE cairn_scoring_in_flight_requests gauge',
      `cairn_scoring_in_flight_requests ${this.#inFlight}`,
      '# HELP cairn_scoring_model_swaps_total Times a new model version replaced the served one.',
      '# TYPE cairn_scoring_model_swaps_total counter',
      `cairn_scoring_model_swaps_total ${this.#swaps}`,
      '# HELP cairn_scoring_start_time_seconds Start time of the server since the Unix epoch.',
      '# TYPE cairn_scoring_start_time_seconds gauge',
      `cairn_scoring_start_time_seconds ${this.#startedAt}`,
    )
    if (this.#model) {
      const model = this.#model
      const labels = [
        `uri="${escapeLabel(model.uri)}"`,
        `name="${escapeLabel(model.name ?? '')}"`,
        `version="${escapeLabel(model.version ?? '')}"`,
        `flavor="${escapeLabel(model.flavor)}"`,
        `model_uuid="${escapeLabel(model.modelUuid ?? '')}"`,
        `worker_threads="${model.workerThreads ?? 0}"`,
      ].join(',')
      lines.push(
        '# HELP cairn_scoring_model_info The model being served (value 1).',
        '# TYPE cairn_scoring_model_info gauge',
        `cairn_scoring_model_info{${labels}} 1`,
      )
    }
    return `${lines.join('\n')}\n`
  }
}
