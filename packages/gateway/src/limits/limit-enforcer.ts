import { type GatewayLimits, type GatewayStore, MlflowError } from '@cairn/core'
import type { CallerLimit, EndpointConfig } from '../config/gateway-config.js'
import { RETRY_AFTER } from '../routing/route-call.js'
import { MemoryGatewayStore } from './memory-gateway-store.js'

const PERIOD_MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const
const MICRO = 1_000_000

/** Who is calling: the API key (if any) and the client address (MLflow's `limit` is per address). */
export interface Caller {
  keyId: string | null
  keyLimits: GatewayLimits | undefined
  address: string
  /** Endpoint and route names the key may call; empty or absent means all. */
  allowedEndpoints?: string[]
}

/**
 * Request, token and budget limits. Request counts are taken atomically with the check (a conditional
 * increment in the store), so replicas sharing a database never admit more than the limit and never count a
 * refused request. Tokens and spending are known only after a call: they are added then, and a caller already
 * at its limit is refused until the window turns.
 */
export class LimitEnforcer {
  readonly #store: GatewayStore
  readonly #memory: MemoryGatewayStore | undefined

  constructor(store: GatewayStore) {
    this.#store = store
    this.#memory = store instanceof MemoryGatewayStore ? store : undefined
  }

  /** Whether any limit applies, so the hot path can skip the store entirely. */
  static applies(endpoint: EndpointConfig, caller: Caller): boolean {
    return endpoint.limit !== undefined || endpoint.rateLimit !== undefined || caller.keyLimits !== undefined
  }

  async admit(endpoint: EndpointConfig, caller: Caller, now = Date.now()): Promise<void> {
    // A refusal by a later limit gives back the requests already counted by earlier ones: a key over its own
    // limit must not use up the endpoint's (or a caller's) allowance for everyone else.
    const taken: Taken[] = []
    try {
      if (endpoint.limit) await this.#admitCaller(endpoint.name, endpoint.limit, caller, now, taken)
      if (endpoint.rateLimit)
        await this.#admitLimits(`endpoint:${endpoint.name}`, endpoint.rateLimit, {
          label: `Endpoint '${endpoint.name}'`,
          now,
          taken,
        })
      if (caller.keyId && caller.keyLimits)
        await this.#admitLimits(`key:${caller.keyId}`, caller.keyLimits, {
          label: 'The API key',
          now,
          taken,
        })
    } catch (error) {
      await Promise.allSettled(taken.map((counter) => this.#increment({ ...counter, amount: -1 })))
      throw error
    }
  }

  /** Adds a finished call's tokens and cost to the token and budget counters that apply. */
  async charge(
    endpoint: EndpointConfig,
    caller: Caller,
    usage: { tokens: number; costUsd: number },
    now = Date.now(),
  ): Promise<void> {
    const work: unknown[] = []
    const add = (subject: string, limits: GatewayLimits | undefined) => {
      if (!limits) return
      if (limits.tokensPerMinute !== undefined && usage.tokens > 0)
        work.push(
          this.#increment({
            counter: `tpm:${subject}`,
            windowStart: windowOf(now, 60_000),
            amount: usage.tokens,
          }),
        )
      if (limits.budgetUsd !== undefined && usage.costUsd > 0)
        work.push(
          this.#increment({
            counter: `cost:${subject}`,
            windowStart: budgetWindow(limits, now),
            amount: Math.round(usage.costUsd * MICRO),
          }),
        )
    }
    add(`endpoint:${endpoint.name}`, endpoint.rateLimit)
    if (caller.keyId) add(`key:${caller.keyId}`, caller.keyLimits)
    await Promise.all(work)
  }

  async #admitCaller(
    endpoint: string,
    limit: CallerLimit,
    caller: Caller,
    now: number,
    taken: Taken[],
  ): Promise<void> {
    const period = PERIOD_MS[limit.renewalPeriod]
    const windowStart = windowOf(now, period)
    const who = limit.key ?? caller.address
    const counter = { counter: `calls:${endpoint}:${who}`, windowStart }
    const total = await this.#increment({ ...counter, amount: 1, limit: limit.calls })
    if (total !== undefined) taken.push(counter)
    if (total === undefined)
      throw limitError(
        `Rate limit of ${limit.calls} calls per ${limit.renewalPeriod} exceeded for endpoint '${endpoint}'`,
        windowStart + period - now,
      )
  }

  async #admitLimits(
    subject: string,
    limits: GatewayLimits,
    { label, now, taken }: { label: string; now: number; taken: Taken[] },
  ): Promise<void> {
    const minute = windowOf(now, 60_000)
    const untilNextMinute = minute + 60_000 - now
    if (limits.tokensPerMinute !== undefined) {
      const used = await this.#read(`tpm:${subject}`, minute)
      if (used >= limits.tokensPerMinute)
        throw limitError(`${label} used its ${limits.tokensPerMinute} tokens per minute`, untilNextMinute)
    }
    if (limits.budgetUsd !== undefined) {
      const window = budgetWindow(limits, now)
      const spent = await this.#read(`cost:${subject}`, window)
      if (spent >= Math.round(limits.budgetUsd * MICRO))
        throw limitError(
          `${label} spent its budget of $${limits.budgetUsd} per ${limits.budgetPeriod ?? 'month'}`,
          budgetRenewal(limits, now),
        )
    }
    if (limits.requestsPerMinute !== undefined) {
      const counter = { counter: `rpm:${subject}`, windowStart: minute }
      const total = await this.#increment({ ...counter, amount: 1, limit: limits.requestsPerMinute })
      if (total !== undefined) taken.push(counter)
      if (total === undefined)
        throw limitError(
          `${label} is limited to ${limits.requestsPerMinute} requests per minute`,
          untilNextMinute,
        )
    }
  }

  #increment(
    options: Parameters<GatewayStore['incrementCounter']>[0],
  ): Promise<number | undefined> | number | undefined {
    return this.#memory ? this.#memory.incrementNow(options) : this.#store.incrementCounter(options)
  }

  #read(counter: string, windowStart: number): Promise<number> | number {
    return this.#memory
      ? this.#memory.readNow(counter, windowStart)
      : this.#store.readCounter(counter, windowStart)
  }
}

/** A request counter incremented by `admit`, to give back when the request is refused. */
interface Taken {
  counter: string
  windowStart: number
}

function windowOf(now: number, period: number): number {
  return now - (now % period)
}

function budgetWindow(limits: GatewayLimits, now: number): number {
  const period = limits.budgetPeriod ?? 'month'
  if (period === 'total') return 0
  const date = new Date(now)
  return period === 'day'
    ? Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate())
    : Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)
}

function budgetRenewal(limits: GatewayLimits, now: number): number {
  const period = limits.budgetPeriod ?? 'month'
  if (period === 'total') return 86_400_000
  const date = new Date(now)
  const next =
    period === 'day'
      ? Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1)
      : Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)
  return next - now
}

function limitError(message: string, retryAfterMs: number): MlflowError {
  const error = new MlflowError('REQUEST_LIMIT_EXCEEDED', message)
  ;(error as MlflowError & { [RETRY_AFTER]?: number })[RETRY_AFTER] = Math.max(
    1,
    Math.ceil(retryAfterMs / 1000),
  )
  return error
}
