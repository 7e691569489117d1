import {
  escapePrometheusLabel,
  PrometheusHistogram,
  prometheusFamilyHeader,
  prometheusSample,
} from '@cairn/core'

const BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** Prometheus counters and latency histograms of the gateway, rendered in the text exposition format. */
export class GatewayMetrics {
  readonly #requests = new Map<string, number>()
  readonly #tokens = new Map<string, number>()
  readonly #cost = new Map<string, number>()
  readonly #upstreamFailures = new Map<string, number>()
  readonly #latency = new Map<string, PrometheusHistogram>()

  recordCall(
    labels: { endpoint: string; provider: string; status: number },
    call: { inputTokens: number; outputTokens: number; costUsd: number; latencyMs: number },
  ): void {
    const base = `endpoint="${escapePrometheusLabel(labels.endpoint)}",provider="${escapePrometheusLabel(labels.provider)}"`
    increment(this.#requests, `${base},status="${labels.status}"`, 1)
    if (call.inputTokens) increment(this.#tokens, `${base},direction="input"`, call.inputTokens)
    if (call.outputTokens) increment(this.#tokens, `${base},direction="output"`, call.outputTokens)
    if (call.costUsd) increment(this.#cost, base, call.costUsd)
    let histogram = this.#latency.get(base)
    if (!histogram) {
      histogram = new PrometheusHistogram(BUCKETS_SECONDS)
      this.#latency.set(base, histogram)
    }
    histogram.observe(call.latencyMs / 1000)
  }

  recordUpstreamFailure(labels: { endpoint: string; provider: string; failure: string }): void {
    increment(
      this.#upstreamFailures,
      `endpoint="${escapePrometheusLabel(labels.endpoint)}",provider="${escapePrometheusLabel(labels.provider)}",failure="${labels.failure}"`,
      1,
    )
  }

  render(circuits: { target: string; open: boolean }[]): string {
    const lines: string[] = []
    const counter = (name: string, help: string, values: Map<string, number>) => {
      lines.push(...prometheusFamilyHeader(name, 'counter', help))
      for (const [labels, value] of values) lines.push(prometheusSample(name, labels, value))
    }
    counter(
      'cairn_gateway_requests_total',
      'Calls answered, by endpoint, provider and HTTP status.',
      this.#requests,
    )
    counter('cairn_gateway_tokens_total', 'Tokens by direction (input, output).', this.#tokens)
    counter('cairn_gateway_cost_usd_total', 'Cost in US dollars from the price table.', this.#cost)
    counter(
      'cairn_gateway_upstream_failures_total',
      'Failed provider attempts (retried or not).',
      this.#upstreamFailures,
    )
    lines.push(
      ...prometheusFamilyHeader('cairn_gateway_request_duration_seconds', 'histogram', 'Latency of calls.'),
    )
    for (const [labels, histogram] of this.#latency)
      lines.push(...histogram.render('cairn_gateway_request_duration_seconds', labels))
    lines.push(
      ...prometheusFamilyHeader(
        'cairn_gateway_circuit_open',
        'gauge',
        'Whether a provider target is refused by its circuit breaker.',
      ),
    )
    for (const circuit of circuits)
      lines.push(
        prometheusSample(
          'cairn_gateway_circuit_open',
          `target="${escapePrometheusLabel(circuit.target)}"`,
          circuit.open ? 1 : 0,
        ),
      )
    return `${lines.join('\n')}\n`
  }
}

function increment(map: Map<string, number>, key: string, amount: number): void {
  map.set(key, (map.get(key) ?? 0) + amount)
}
