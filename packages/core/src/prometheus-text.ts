/**
 * Pieces of the Prometheus text exposition format (version 0.0.4) shared by the scoring server's and the gateway's
 * `/metrics`: they only build strings, so each server keeps its own counters and its own client-library-free output.
 */

/** A label value escaped for the text format: backslash, line feed and double quote. */
export function escapePrometheusLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

/** The `# HELP` and `# TYPE` lines that open a metric family. */
export function prometheusFamilyHeader(
  name: string,
  type: 'counter' | 'gauge' | 'histogram',
  help: string,
): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`]
}

/** One sample line; `labels` is the rendered list (`route="/ping",status="200"`), empty for none. */
export function prometheusSample(name: string, labels: string, value: number): string {
  return labels ? `${name}{${labels}} ${value}` : `${name} ${value}`
}

/** A histogram with fixed upper bounds, rendered as cumulative `_bucket` lines (then `+Inf`), `_sum` and `_count`. */
export class PrometheusHistogram {
  /** Observations per bucket (not cumulative): each falls in the first bucket whose bound is not below it. */
  readonly #counts: number[]
  #sum = 0
  #count = 0

  constructor(readonly buckets: readonly number[]) {
    this.#counts = buckets.map(() => 0)
  }

  observe(value: number): void {
    this.#sum += value
    this.#count++
    const index = this.buckets.findIndex((bound) => value <= bound)
    if (index >= 0) this.#counts[index]! += 1
  }

  /** The series' lines; `labels` is the rendered list of the series' labels, empty for none. */
  render(name: string, labels: string): string[] {
    const lines: string[] = []
    let cumulative = 0
    const prefix = labels ? `${labels},` : ''
    this.buckets.forEach((bound, index) => {
      cumulative += this.#counts[index]!
      lines.push(`${name}_bucket{${prefix}le="${bound}"} ${cumulative}`)
    })
    lines.push(
      `${name}_bucket{${prefix}le="+Inf"} ${this.#count}`,
      prometheusSample(`${name}_sum`, labels, this.#sum),
      prometheusSample(`${name}_count`, labels, this.#count),
    )
    return lines
  }
}
