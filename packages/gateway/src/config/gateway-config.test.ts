import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { GatewayConfigError } from './config-error.js'
import { loadGatewayConfig, parseGatewayConfig } from './gateway-config.js'

const directory = mkdtempSync(join(tmpdir(), 'cairn-gateway-config-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

function errorOf(text: string, env: NodeJS.ProcessEnv = {}): GatewayConfigError {
  try {
    parseGatewayConfig(text, { source: 'f.yaml', env })
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayConfigError)
    return error as GatewayConfigError
  }
  throw new Error('expected the config to be refused')
}

const VALID = `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model:
      provider: openai
      name: gpt-4o-mini
      config:
        openai_api_key: $OPENAI_API_KEY
    limit: {calls: 10, renewal_period: minute}
  - name: chat-2
    endpoint_type: llm/v1/chat
    model: {provider: anthropic, name: claude-3-5-haiku-latest, config: {anthropic_api_key: literal-key}}
    fallbacks: [chat]
    timeout_seconds: 5
    retries: {max_retries: 1, initial_backoff_ms: 10}
    rate_limit: {requests_per_minute: 100, tokens_per_minute: 5000}
  - name: embed
    endpoint_type: llm/v1/embeddings
    model: {provider: openai, name: text-embedding-3-small, config: {openai_api_key: $OPENAI_API_KEY}}
routes:
  - name: split
    task_type: llm/v1/chat
    destinations:
      - {name: chat, traffic_percentage: 70}
      - {name: chat-2, traffic_percentage: 30}
api_keys:
  - {name: team-a, key: $TEAM_A_KEY, requests_per_minute: 5, budget_usd: 1.5}
`

describe('parseGatewayConfig', () => {
  it('reads MLflow endpoints, routes, Cairn options and resolves secrets from the environment', () => {
    const config = parseGatewayConfig(VALID, {
      env: { OPENAI_API_KEY: 'sk-env-secret', TEAM_A_KEY: 'team-a-secret' },
    })
    expect(config.endpoints.map((endpoint) => endpoint.name)).toEqual(['chat', 'chat-2', 'embed'])
    expect(config.endpoints[0]!.limit).toEqual({ calls: 10, key: null, renewalPeriod: 'minute' })
    expect(config.endpoints[1]).toMatchObject({
      fallbacks: ['chat'],
      timeoutMs: 5000,
      rateLimit: { requestsPerMinute: 100, tokensPerMinute: 5000 },
    })
    expect(config.endpoints[1]!.retry.maxRetries).toBe(1)
    expect(config.routes[0]!.destinations).toEqual([
      { name: 'chat', trafficPercentage: 70 },
      { name: 'chat-2', trafficPercentage: 30 },
    ])
    expect(config.apiKeys[0]).toMatchObject({ name: 'team-a', requestsPerMinute: 5, budgetUsd: 1.5 })
    expect(config.apiKeys[0]!.keyHash).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(config.apiKeys)).not.toContain('team-a-secret')
    expect(config.secrets).toEqual(expect.arrayContaining(['sk-env-secret', 'literal-key', 'team-a-secret']))
  })

  it('reads an API key from a file path', () => {
    const keyFile = join(directory, 'key.txt')
    writeFileSync(keyFile, 'file-secret\n')
    const config = parseGatewayConfig(
      `endpoints:\n  - {name: a, endpoint_type: llm/v1/chat, model: {provider: openai, name: m, config: {openai_api_key: ${keyFile}}}}\n`,
    )
    expect(config.secrets).toContain('file-secret')
  })

  it.each([
    ['a missing endpoints list', 'routes: []\n', 1, /unknown key 'routes'|`endpoints` is required/],
    [
      'route_type inside an endpoint',
      'endpoints:\n  - name: a\n    route_type: llm/v1/chat\n',
      3,
      /route_type/,
    ],
    [
      'a bad endpoint type',
      'endpoints:\n  - name: a\n    endpoint_type: llm/v1/image\n    model: {provider: openai}\n',
      3,
      /endpoint_type must be one of/,
    ],
    [
      'an unknown provider',
      'endpoints:\n  - name: a\n    endpoint_type: llm/v1/chat\n    model:\n      provider: nope\n',
      5,
      /unknown provider 'nope'/,
    ],
    [
      'a missing API key',
      'endpoints:\n  - name: a\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      config: {}\n',
      6,
      /openai_api_key/,
    ],
    [
      'an unset environment variable',
      'endpoints:\n  - name: a\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      config:\n        openai_api_key: $NOT_SET_ANYWHERE\n',
      7,
      /NOT_SET_ANYWHERE is not set/,
    ],
    [
      'an invalid name',
      'endpoints:\n  - name: "a b"\n    endpoint_type: llm/v1/chat\n',
      2,
      /may contain only/,
    ],
    [
      'a type the provider lacks',
      'endpoints:\n  - name: a\n    endpoint_type: llm/v1/embeddings\n    model: {provider: anthropic, config: {anthropic_api_key: k}}\n',
      3,
      /does not serve llm\/v1\/embeddings/,
    ],
    [
      'duplicate names',
      'endpoints:\n  - {name: a, endpoint_type: llm/v1/chat, model: {provider: ollama}}\n  - {name: a, endpoint_type: llm/v1/chat, model: {provider: ollama}}\n',
      3,
      /duplicate endpoint name/,
    ],
    [
      'percentages not adding to 100',
      'endpoints:\n  - {name: a, endpoint_type: llm/v1/chat, model: {provider: ollama}}\nroutes:\n  - name: r\n    task_type: llm/v1/chat\n    destinations:\n      - {name: a, traffic_percentage: 60}\n',
      6,
      /add up to 60/,
    ],
    [
      'a route to another type',
      'endpoints:\n  - {name: a, endpoint_type: llm/v1/chat, model: {provider: ollama}}\nroutes:\n  - name: r\n    task_type: llm/v1/completions\n    destinations:\n      - name: a\n        traffic_percentage: 100\n',
      7,
      /is llm\/v1\/chat/,
    ],
    [
      'a bad limit',
      'endpoints:\n  - name: a\n    endpoint_type: llm/v1/chat\n    model: {provider: ollama}\n    limit: {calls: 0, renewal_period: minute}\n',
      5,
      /calls/,
    ],
    [
      'an unknown fallback',
      'endpoints:\n  - name: a\n    endpoint_type: llm/v1/chat\n    model: {provider: ollama}\n    fallbacks:\n      - b\n',
      6,
      /fallback 'b' is not an endpoint/,
    ],
    ['invalid YAML', 'endpoints:\n  - name: a\n   bad: [\n', 3, /invalid YAML/],
  ])('refuses %s, naming the line', (_label, text, line, message) => {
    const error = errorOf(text)
    expect(error.message).toMatch(message)
    expect(error.line).toBe(line)
    expect(error.message).toContain(`f.yaml:${line}:`)
  })

  it('does not echo a secret in its errors', () => {
    const error = errorOf(
      'endpoints:\n  - name: a\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, config: {openai_api_key: sk-very-secret, openai_api_type: azure}}\n',
    )
    expect(error.message).toMatch(/openai_api_base/)
    expect(error.message).not.toContain('sk-very-secret')
  })

  it('names the file when it cannot be read', () => {
    expect(() => loadGatewayConfig(join(directory, 'missing.yaml'))).toThrow(
      /missing\.yaml: cannot read the file \(ENOENT\)/,
    )
  })
})
