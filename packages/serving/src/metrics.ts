import {
  escapePrometheusLabel,
  PrometheusHistogram,
  prometheusFamilyHeader,
  prometheusSample,
} from '@cairn/core'

/** Upper bounds (seconds) of the request latency histogram. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
/** Upper bounds of the batch size histograms (rows per `predict`, requests per `predict`). */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]

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
  readonly #latency = new Map<string, PrometheusHistogram>()
  readonly #batchRows = new PrometheusHistogram(BATCH_BUCKETS)
  readonly #batchRequests = new PrometheusHistogram(BATCH_BUCKETS)
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
      histogram = new PrometheusHistogram(LATENCY_BUCKETS)
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
      ...prometheusFamilyHeader(
        'cairn_scoring_requests_total',
        'counter',
        'Requests answered, by route and HTTP status.',
      ),
    ]
    for (const [key, count] of this.#requests) {
      const [route, status] = key.split('\u0000')
      lines.push(
        prometheusSample('cairn_scoring_requests_total', `route="${route}",status="${status}"`, count),
      )
    }
    lines.push(
      ...prometheusFamilyHeader(
        'cairn_scoring_errors_total',
        'counter',
        'Error answers, by MLflow error code.',
      ),
    )
    for (const [code, count] of this.#errors) {
      lines.push(
        prometheusSample('cairn_scoring_errors_total', `error_code="${escapePrometheusLabel(code)}"`, count),
      )
    }
    lines.push(
      ...prometheusFamilyHeader(
        'cairn_scoring_request_duration_seconds',
        'histogram',
        'Time from request start to the end of the answer.',
      ),
    )
    for (const [route, histogram] of this.#latency) {
      lines.push(...histogram.render('cairn_scoring_request_duration_seconds', `route="${route}"`))
    }
    lines.push(
      ...prometheusFamilyHeader(
        'cairn_scoring_batch_rows',
        'histogram',
        'Rows per model prediction (micro-batches merge concurrent requests).',
      ),
      ...this.#batchRows.render('cairn_scoring_batch_rows', ''),
      ...prometheusFamilyHeader(
        'cairn_scoring_batch_requests',
        'histogram',
        'Requests per model prediction.',
      ),
      ...this.#batchRequests.render('cairn_scoring_batch_requests', ''),
      ...prometheusFamilyHeader(
        'cairn_scoring_batch_fallbacks_total',
        'counter',
        'Batches that failed and were predicted request by request.',
      ),
      prometheusSample('cairn_scoring_batch_fallbacks_total', '', this.#fallbacks),
      ...prometheusFamilyHeader('cairn_scoring_in_flight_requests', 'gauge', 'Requests being handled.'),
      prometheusSample('cairn_scoring_in_flight_requests', '', this.#inFlight),
      ...prometheusFamilyHeader(
        'cairn_scoring_model_swaps_total',
        'counter',
        'Times a new model version replaced the served one.',
      ),
      prometheusSample('cairn_scoring_model_swaps_total', '', this.#swaps),
      ...prometheusFamilyHeader(
        'cairn_scoring_start_time_seconds',
        'gauge',
        'Start time of the server since the Unix epoch.',
      ),
      prometheusSample('cairn_scoring_start_time_seconds', '', this.#startedAt),
    )
    if (this.#model) {
      const model = this.#model
      const labels = [
        `uri="${escapePrometheusLabel(model.uri)}"`,
        `name="${escapePrometheusLabel(model.name ?? '')}"`,
        `version="${escapePrometheusLabel(model.version ?? '')}"`,
        `flavor="${escapePrometheusLabel(model.flavor)}"`,
        `model_uuid="${escapePrometheusLabel(model.modelUuid ?? '')}"`,
        `worker_threads="${model.workerThreads ?? 0}"`,
      ].join(',')
      lines.push(
        ...prometheusFamilyHeader('cairn_scoring_model_info', 'gauge', 'The model being served (value 1).'),
        prometheusSample('cairn_scoring_model_info', labels, 1),
      )
    }
    return `${lines.join('\n')}\n`
  }
}
