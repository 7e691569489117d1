const BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** Prometheus counters and latency histograms of the gateway, rendered in the text exposition format. */
export class GatewayMetrics {
  readonly #requests = new Map<string, number>()
  readonly #tokens = new Map<string, number>()
  readonly #cost = new Map<string, number>()
  readonly #upstreamFailures = new Map<string, number>()
  readonly #latency = new Map<string, { buckets: number[]; sum: number; count: number }>()

  recordCall(
    labels: { endpoint: string; provider: string; status: number },
    call: { inputTokens: number; outputTokens: number; costUsd: number; latencyMs: number },
  ): void {
    const base = `endpoint="${escapeLabel(labels.endpoint)}",provider="${escapeLabel(labels.provider)}"`
    increment(this.#requests, `${base},status="${labels.status}"`, 1)
    if (call.inputTokens) increment(this.#tokens, `${base},direction="input"`, call.inputTokens)
    if (call.outputTokens) increment(this.#tokens, `${base},direction="output"`, call.outputTokens)
    if (call.costUsd) increment(this.#cost, base, call.costUsd)
    let histogram = this.#latency.get(base)
    if (!histogram) {
      histogram = { buckets: BUCKETS_SECONDS.map(() => 0), sum: 0, count: 0 }
      this.#latency.set(base, histogram)
    }
    const seconds = call.latencyMs / 1000
    for (const [index, bound] of BUCKETS_SECONDS.entries()) if (seconds <= bound) histogram.buckets[index]!++
    histogram.sum += seconds
    histogram.count++
  }

  recordUpstreamFailure(labels: { endpoint: string; provider: string; failure: string }): void {
    increment(
      this.#upstreamFailures,
      `endpoint="${escapeLabel(labels.endpoint)}",provider="${escapeLabel(labels.provider)}",failure="${labels.failure}"`,
      1,
    )
  }

  render(circuits: { target: string; open: boolean }[]): string {
    const lines: string[] = []
    const counter = (name: string, help: string, values: Map<string, number>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`)
      for (const [labels, value] of values) lines.push(`${name}{${labels}} ${value}`)
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
      '# HELP cairn_gateway_request_duration_seconds Latency of calls.',
      '# TYPE cairn_gateway_request_duration_seconds histogram',
    )
    for (const [labels, histogram] of this.#latency) {
      for (const [index, bound] of BUCKETS_SECONDS.entries())
        lines.push(
          `cairn_gateway_request_duration_seconds_bucket{${labels},le="${bound}"} ${histogram.buckets[index]}`,
        )
      lines.push(`cairn_gateway_request_duration_seconds_bucket{${labels},le="+Inf"} ${histogram.count}`)
      lines.push(`cairn_gateway_request_duration_seconds_sum{${labels}} ${histogram.sum}`)
      lines.push(`cairn_gateway_request_duration_seconds_count{${labels}} ${histogram.count}`)
    }
    lines.push(
      '# HELP cairn_gateway_circuit_open Whether a provider target is refused by its circuit breaker.',
      '# TYPE cairn_gateway_circuit_open gauge',
    )
    for (const circuit of circuits)
      lines.push(
        `cairn_gateway_circuit_open{target="${escapeLabel(circuit.target)}"} ${circuit.open ? 1 : 0}`,
      )
    return `${lines.join('\n')}\n`
  }
}

function increment(map: Map<string, number>, key: string, amount: number): void {
  map.set(key, (map.get(key) ?? 0) + amount)
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}
