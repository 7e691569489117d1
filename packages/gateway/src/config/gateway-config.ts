import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import type { GatewayLimits } from '@cairn/core'
import { createProvider } from '../providers/create-provider.js'
import type { Provider } from '../providers/provider.js'
import { ENDPOINT_TYPES, type EndpointType } from '../types.js'
import { GatewayConfigError } from './config-error.js'
import { parseYamlWithLines } from './yaml-lines.js'

/** MLflow's per-caller limit (`limit: {calls, renewal_period, key}`), keyed by client address unless `key`. */
export interface CallerLimit {
  calls: number
  key: string | null
  renewalPeriod: 'second' | 'minute' | 'hour' | 'day'
}

export interface RetryPolicy {
  /** Attempts after the first, on one provider. */
  maxRetries: number
  initialBackoffMs: number
  maxBackoffMs: number
  /** A longer `Retry-After` moves on to the next fallback instead of waiting. */
  maxRetryAfterMs: number
}

export interface CircuitBreakerPolicy {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number
  cooldownMs: number
}

export interface EndpointConfig {
  name: string
  endpointType: EndpointType
  model: { provider: string; name: string }
  provider: Provider
  limit: CallerLimit | undefined
  rateLimit: GatewayLimits | undefined
  /** Endpoint names tried in order when this one fails with 429/5xx/timeout. */
  fallbacks: string[]
  timeoutMs: number
  retry: RetryPolicy
  circuitBreaker: CircuitBreakerPolicy
  /** Store request and response bodies with the usage record. */
  logging: boolean
}

export interface RouteConfig {
  name: string
  taskType: EndpointType
  destinations: { name: string; trafficPercentage: number }[]
}

export interface ApiKeyConfig extends GatewayLimits {
  name: string
  keyHash: string
  endpoints: string[]
}

export interface Price {
  inputPerMillion: number
  outputPerMillion: number
}

export interface GatewayConfig {
  endpoints: EndpointConfig[]
  routes: RouteConfig[]
  apiKeys: ApiKeyConfig[]
  /** Refuse calls without a key even when no key is configured (keys may live in the database). */
  requireApiKey: boolean
  adminKeyHash: string | undefined
  prices: Record<string, Price>
  /** Every resolved secret, to scrub from messages. */
  secrets: string[]
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 2,
  initialBackoffMs: 100,
  maxBackoffMs: 4000,
  maxRetryAfterMs: 10_000,
}
export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerPolicy = { failureThreshold: 5, cooldownMs: 30_000 }
export const DEFAULT_TIMEOUT_MS = 60_000

const NAME_PATTERN = /^[\w\-.]+$/
const ENDPOINT_KEYS = new Set([
  'name',
  'endpoint_type',
  'model',
  'limit',
  'fallbacks',
  'timeout_seconds',
  'retries',
  'circuit_breaker',
  'rate_limit',
  'logging',
])
const TOP_LEVEL_KEYS = new Set([
  'endpoints',
  'routes',
  'api_keys',
  'require_api_key',
  'admin_api_key',
  'prices',
])
const SECRET_KEY = /(api_key|_key_id|secret_access_key|session_token|bearer_token)$/

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

/** Reads and validates a gateway config file (MLflow's format plus Cairn's optional keys). */
export function loadGatewayConfig(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new GatewayConfigError(
      `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      undefined,
      path,
    )
  }
  return parseGatewayConfig(text, { source: path, env })
}

export interface ParseGatewayConfigOptions {
  source?: string
  env?: NodeJS.ProcessEnv
}

export function parseGatewayConfig(text: string, options: ParseGatewayConfigOptions = {}): GatewayConfig {
  const source = options.source ?? 'gateway config'
  const env = options.env ?? process.env
  const parsed = parseYamlWithLines(text, source)
  const fail = (path: string, message: string): never => {
    throw new GatewayConfigError(path ? `${path}: ${message}` : message, parsed.lineOf(path), source)
  }
  const root = parsed.value
  if (!isRecord(root)) return fail('', 'the file must be a mapping with an `endpoints` list')
  for (const key of Object.keys(root)) if (!TOP_LEVEL_KEYS.has(key)) fail(key, `unknown key '${key}'`)
  if (!Array.isArray(root.endpoints)) return fail('endpoints', '`endpoints` is required and must be a list')
  const secrets = new Set<string>()
  const context: Context = { fail, env, secrets }

  const names = new Set<string>()
  const endpoints = root.endpoints.map((raw, index) => readEndpoint(raw, `endpoints[${index}]`, context))
  for (const [index, endpoint] of endpoints.entries()) {
    if (names.has(endpoint.name))
      fail(`endpoints[${index}].name`, `duplicate endpoint name '${endpoint.name}'`)
    names.add(endpoint.name)
  }
  const byName = new Map(endpoints.map((endpoint) => [endpoint.name, endpoint]))
  for (const [index, endpoint] of endpoints.entries()) {
    for (const [position, fallback] of endpoint.fallbacks.entries()) {
      const target = byName.get(fallback)
      const path = `endpoints[${index}].fallbacks[${position}]`
      if (!target) fail(path, `fallback '${fallback}' is not an endpoint`)
      else if (target.endpointType !== endpoint.endpointType)
        fail(path, `fallback '${fallback}' is ${target.endpointType}, not ${endpoint.endpointType}`)
      else if (fallback === endpoint.name) fail(path, 'an endpoint cannot fall back to itself')
    }
  }

  const routes: RouteConfig[] = []
  if (root.routes !== undefined && root.routes !== null) {
    if (!Array.isArray(root.routes)) fail('routes', '`routes` must be a list')
    for (const [index, raw] of (root.routes as unknown[]).entries()) {
      const route = readRoute(raw, `routes[${index}]`, context, byName)
      if (names.has(route.name))
        fail(`routes[${index}].name`, `name '${route.name}' is already used by an endpoint or route`)
      names.add(route.name)
      routes.push(route)
    }
  }

  const apiKeys = readApiKeys(root.api_keys, context, names)
  const prices = readPrices(root.prices, context)
  let adminKeyHash: string | undefined
  if (root.admin_api_key !== undefined) {
    const admin = resolveSecret(root.admin_api_key, 'admin_api_key', context, true)
    adminKeyHash = hashApiKey(admin)
  }
  if (root.require_api_key !== undefined && typeof root.require_api_key !== 'boolean')
    fail('require_api_key', 'must be true or false')
  return {
    endpoints,
    routes,
    apiKeys,
    requireApiKey: root.require_api_key === true,
    adminKeyHash,
    prices,
    secrets: [...secrets].filter((secret) => secret.length >= 4),
  }
}

interface Context {
  fail: (path: string, message: string) => never
  env: NodeJS.ProcessEnv
  secrets: Set<string>
}

function readEndpoint(raw: unknown, path: string, context: Context): EndpointConfig {
  const { fail } = context
  if (!isRecord(raw)) return fail(path, 'each endpoint must be a mapping')
  if ('route_type' in raw)
    fail(`${path}.route_type`, '`route_type` is not accepted in endpoints; use `endpoint_type`')
  for (const key of Object.keys(raw))
    if (!ENDPOINT_KEYS.has(key)) fail(`${path}.${key}`, `unknown key '${key}'`)
  const name = readName(raw.name, `${path}.name`, context)
  if (!ENDPOINT_TYPES.includes(raw.endpoint_type as EndpointType))
    fail(`${path}.endpoint_type`, `endpoint_type must be one of ${ENDPOINT_TYPES.join(', ')}`)
  const endpointType = raw.endpoint_type as EndpointType
  const model = raw.model
  if (!isRecord(model)) return fail(`${path}.model`, '`model` is required and must be a mapping')
  for (const key of Object.keys(model))
    if (!['provider', 'name', 'config'].includes(key)) fail(`${path}.model.${key}`, `unknown key '${key}'`)
  if (typeof model.provider !== 'string' || !model.provider)
    return fail(`${path}.model.provider`, '`model.provider` is required')
  if (model.name !== undefined && model.name !== null && typeof model.name !== 'string')
    fail(`${path}.model.name`, '`model.name` must be a string')
  const modelName = typeof model.name === 'string' ? model.name : ''
  if (model.config !== undefined && model.config !== null && !isRecord(model.config))
    fail(`${path}.model.config`, '`model.config` must be a mapping')
  const config = resolveConfig(isRecord(model.config) ? model.config : {}, `${path}.model.config`, context)
  let provider: Provider
  try {
    provider = createProvider(model.provider, { model: modelName, config })
  } catch (error) {
    const at = /unknown provider/.test((error as Error).message)
      ? `${path}.model.provider`
      : `${path}.model.config`
    return fail(at, (error as Error).message)
  }
  if (!provider.endpointTypes.includes(endpointType))
    fail(`${path}.endpoint_type`, `provider '${model.provider}' does not serve ${endpointType}`)
  const fallbacks = raw.fallbacks ?? []
  if (!Array.isArray(fallbacks) || fallbacks.some((item) => typeof item !== 'string'))
    fail(`${path}.fallbacks`, '`fallbacks` must be a list of endpoint names')
  return {
    name,
    endpointType,
    model: { provider: model.provider, name: modelName },
    provider,
    limit: readCallerLimit(raw.limit, `${path}.limit`, context),
    rateLimit:
      raw.rate_limit === undefined ? undefined : readLimits(raw.rate_limit, `${path}.rate_limit`, context),
    fallbacks: fallbacks as string[],
    timeoutMs:
      raw.timeout_seconds === undefined
        ? DEFAULT_TIMEOUT_MS
        : positive(raw.timeout_seconds, `${path}.timeout_seconds`, context) * 1000,
    retry: readRetry(raw.retries, `${path}.retries`, context),
    circuitBreaker: readCircuitBreaker(raw.circuit_breaker, `${path}.circuit_breaker`, context),
    logging: raw.logging === undefined ? false : bool(raw.logging, `${path}.logging`, context),
  }
}

function readName(value: unknown, path: string, context: Context): string {
  if (typeof value !== 'string' || !value) return context.fail(path, '`name` is required')
  if (!NAME_PATTERN.test(value))
    context.fail(path, `name '${value}' may contain only letters, digits, '_', '-' and '.'`)
  return value
}

function readCallerLimit(value: unknown, path: string, context: Context): CallerLimit | undefined {
  if (value === undefined || value === null) return undefined
  if (!isRecord(value)) return context.fail(path, '`limit` must be a mapping {calls, renewal_period}')
  const calls = value.calls
  if (!Number.isInteger(calls) || (calls as number) < 1)
    context.fail(`${path}.calls`, '`calls` must be a positive integer')
  const period = value.renewal_period
  if (period !== 'second' && period !== 'minute' && period !== 'hour' && period !== 'day')
    context.fail(`${path}.renewal_period`, '`renewal_period` must be second, minute, hour or day')
  if (value.key !== undefined && value.key !== null && typeof value.key !== 'string')
    context.fail(`${path}.key`, '`key` must be a string')
  return {
    calls: calls as number,
    key: (value.key as string | undefined) ?? null,
    renewalPeriod: period as CallerLimit['renewalPeriod'],
  }
}

function readLimits(value: unknown, path: string, context: Context): GatewayLimits {
  if (!isRecord(value)) return context.fail(path, 'must be a mapping')
  const limits: GatewayLimits = {}
  for (const [key, raw] of Object.entries(value)) {
    if (key === 'requests_per_minute')
      limits.requestsPerMinute = positiveInteger(raw, `${path}.${key}`, context)
    else if (key === 'tokens_per_minute')
      limits.tokensPerMinute = positiveInteger(raw, `${path}.${key}`, context)
    else if (key === 'budget_usd') limits.budgetUsd = positive(raw, `${path}.${key}`, context)
    else if (key === 'budget_period') {
      if (raw !== 'day' && raw !== 'month' && raw !== 'total')
        context.fail(`${path}.${key}`, 'must be day, month or total')
      limits.budgetPeriod = raw as GatewayLimits['budgetPeriod']
    } else if (key !== 'name' && key !== 'key' && key !== 'endpoints')
      context.fail(`${path}.${key}`, `unknown key '${key}'`)
  }
  return limits
}

function readRetry(value: unknown, path: string, context: Context): RetryPolicy {
  if (value === undefined || value === null) return DEFAULT_RETRY
  if (!isRecord(value)) return context.fail(path, '`retries` must be a mapping')
  const policy = { ...DEFAULT_RETRY }
  for (const [key, raw] of Object.entries(value)) {
    if (key === 'max_retries') policy.maxRetries = nonNegativeInteger(raw, `${path}.${key}`, context)
    else if (key === 'initial_backoff_ms')
      policy.initialBackoffMs = nonNegative(raw, `${path}.${key}`, context)
    else if (key === 'max_backoff_ms') policy.maxBackoffMs = nonNegative(raw, `${path}.${key}`, context)
    else if (key === 'max_retry_after_seconds')
      policy.maxRetryAfterMs = nonNegative(raw, `${path}.${key}`, context) * 1000
    else context.fail(`${path}.${key}`, `unknown key '${key}'`)
  }
  return policy
}

function readCircuitBreaker(value: unknown, path: string, context: Context): CircuitBreakerPolicy {
  if (value === undefined || value === null) return DEFAULT_CIRCUIT_BREAKER
  if (!isRecord(value)) return context.fail(path, '`circuit_breaker` must be a mapping')
  const policy = { ...DEFAULT_CIRCUIT_BREAKER }
  for (const [key, raw] of Object.entries(value)) {
    if (key === 'failure_threshold') policy.failureThreshold = positiveInteger(raw, `${path}.${key}`, context)
    else if (key === 'cooldown_seconds') policy.cooldownMs = positive(raw, `${path}.${key}`, context) * 1000
    else context.fail(`${path}.${key}`, `unknown key '${key}'`)
  }
  return policy
}

function readRoute(
  raw: unknown,
  path: string,
  context: Context,
  endpoints: Map<string, EndpointConfig>,
): RouteConfig {
  const { fail } = context
  if (!isRecord(raw)) return fail(path, 'each route must be a mapping')
  const name = readName(raw.name, `${path}.name`, context)
  if (!ENDPOINT_TYPES.includes(raw.task_type as EndpointType))
    fail(`${path}.task_type`, `task_type must be one of ${ENDPOINT_TYPES.join(', ')}`)
  if (raw.routing_strategy !== undefined && raw.routing_strategy !== 'TRAFFIC_SPLIT')
    fail(`${path}.routing_strategy`, 'routing_strategy must be TRAFFIC_SPLIT')
  if (!Array.isArray(raw.destinations) || raw.destinations.length === 0)
    return fail(`${path}.destinations`, '`destinations` must be a non-empty list')
  let total = 0
  const destinations = raw.destinations.map((destination: unknown, index: number) => {
    const at = `${path}.destinations[${index}]`
    if (!isRecord(destination))
      return fail(at, 'each destination must be a mapping {name, traffic_percentage}')
    const target = endpoints.get(String(destination.name))
    if (!target) fail(`${at}.name`, `destination '${String(destination.name)}' is not an endpoint`)
    else if (target.endpointType !== raw.task_type)
      fail(
        `${at}.name`,
        `destination '${target.name}' is ${target.endpointType}, not ${String(raw.task_type)}`,
      )
    const percentage = destination.traffic_percentage
    if (!Number.isInteger(percentage) || (percentage as number) < 0 || (percentage as number) > 100)
      fail(`${at}.traffic_percentage`, '`traffic_percentage` must be an integer from 0 to 100')
    total += percentage as number
    return { name: String(destination.name), trafficPercentage: percentage as number }
  })
  if (total !== 100) fail(`${path}.destinations`, `traffic percentages add up to ${total}, not 100`)
  return { name, taskType: raw.task_type as EndpointType, destinations }
}

function readApiKeys(value: unknown, context: Context, names: Set<string>): ApiKeyConfig[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) return context.fail('api_keys', '`api_keys` must be a list')
  const seen = new Set<string>()
  return value.map((raw, index) => {
    const path = `api_keys[${index}]`
    if (!isRecord(raw)) return context.fail(path, 'each API key must be a mapping {name, key, …}')
    const name = readName(raw.name, `${path}.name`, context)
    if (seen.has(name)) context.fail(`${path}.name`, `duplicate API key name '${name}'`)
    seen.add(name)
    const key = resolveSecret(raw.key, `${path}.key`, context, true)
    const endpoints = raw.endpoints ?? []
    if (!Array.isArray(endpoints) || endpoints.some((item) => typeof item !== 'string' || !names.has(item)))
      context.fail(`${path}.endpoints`, '`endpoints` must list endpoint or route names')
    return {
      name,
      keyHash: hashApiKey(key),
      endpoints: endpoints as string[],
      ...readLimits(raw, path, context),
    }
  })
}

function readPrices(value: unknown, context: Context): Record<string, Price> {
  if (value === undefined || value === null) return {}
  if (!isRecord(value))
    return context.fail('prices', '`prices` must map model names to {input_per_million, output_per_million}')
  const prices: Record<string, Price> = {}
  for (const [model, raw] of Object.entries(value)) {
    const path = `prices.${model}`
    if (!isRecord(raw)) return context.fail(path, 'must be a mapping {input_per_million, output_per_million}')
    prices[model] = {
      inputPerMillion: nonNegative(raw.input_per_million ?? 0, `${path}.input_per_million`, context),
      outputPerMillion: nonNegative(raw.output_per_million ?? 0, `${path}.output_per_million`, context),
    }
  }
  return prices
}

/** `$NAME` reads an environment variable; for secret keys an existing file path is read; otherwise the literal. */
function resolveConfig(
  config: Record<string, unknown>,
  path: string,
  context: Context,
): Record<string, unknown> {
  const resolved: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(config)) {
    if (isRecord(value)) resolved[key] = resolveConfig(value, `${path}.${key}`, context)
    else if (typeof value === 'string')
      resolved[key] = resolveSecret(value, `${path}.${key}`, context, SECRET_KEY.test(key))
    else resolved[key] = value
  }
  return resolved
}

function resolveSecret(value: unknown, path: string, context: Context, secret: boolean): string {
  if (typeof value !== 'string' || !value) return context.fail(path, 'must be a non-empty string')
  let resolved = value
  if (value.startsWith('$')) {
    const name = value.slice(1).replace(/^\{(.*)\}$/, '$1')
    const fromEnv = context.env[name]
    if (fromEnv === undefined || fromEnv === '') context.fail(path, `environment variable ${name} is not set`)
    resolved = fromEnv as string
  } else if (secret && isFile(value)) {
    resolved = readFileSync(value, 'utf8').trim()
  }
  if (secret) context.secrets.add(resolved)
  return resolved
}

function isFile(path: string): boolean {
  try {
    return (path.includes('/') || path.includes('\\')) && existsSync(path) && statSync(path).isFile()
  } catch {
    return false
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function positive(value: unknown, path: string, context: Context): number {
  if (typeof value !== 'number' || !(value > 0)) return context.fail(path, 'must be a positive number')
  return value
}

function nonNegative(value: unknown, path: string, context: Context): number {
  if (typeof value !== 'number' || !(value >= 0)) return context.fail(path, 'must be a number ≥ 0')
  return value
}

function positiveInteger(value: unknown, path: string, context: Context): number {
  if (!Number.isInteger(value) || (value as number) < 1)
    return context.fail(path, 'must be a positive integer')
  return value as number
}

function nonNegativeInteger(value: unknown, path: string, context: Context): number {
  if (!Number.isInteger(value) || (value as number) < 0) return context.fail(path, 'must be an integer ≥ 0')
  return value as number
}

function bool(value: unknown, path: string, context: Context): boolean {
  if (typeof value !== 'boolean') return context.fail(path, 'must be true or false')
  return value
}
