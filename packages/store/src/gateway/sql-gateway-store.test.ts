import type { GatewayUsageRecord } from '@cairn/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachStore, uniqueName } from '../test-support/index.js'
import { type ClosableGatewayStore, openGatewayStore } from './open-gateway-store.js'

function usage(overrides: Partial<GatewayUsageRecord>): GatewayUsageRecord {
  return {
    requestId: uniqueName('req'),
    timestamp: 1_700_000_000_000,
    endpoint: 'chat',
    provider: 'openai',
    model: 'gpt-4o-mini',
    keyId: null,
    inputTokens: 10,
    outputTokens: 5,
    latencyMs: 1.5,
    status: 200,
    costUsd: 0.25,
    stream: false,
    ...overrides,
  }
}

describeEachStore('SqlGatewayStore', (_getStore, _kind, getTestStore) => {
  let first: ClosableGatewayStore
  let second: ClosableGatewayStore

  beforeAll(async () => {
    first = await openGatewayStore(getTestStore().uri)
    second = await openGatewayStore(getTestStore().uri)
  })

  afterAll(async () => {
    await first?.close()
    await second?.close()
  })

  it('increments counters per window and refuses increments over the limit without counting them', async () => {
    const counter = uniqueName('rpm')
    expect(await first.incrementCounter({ counter, windowStart: 60_000, amount: 2, limit: 3 })).toBe(2)
    expect(
      await first.incrementCounter({ counter, windowStart: 60_000, amount: 2, limit: 3 }),
    ).toBeUndefined()
    expect(await first.incrementCounter({ counter, windowStart: 60_000, amount: 1, limit: 3 })).toBe(3)
    expect(
      await first.incrementCounter({ counter, windowStart: 60_000, amount: 5, limit: 3 }),
    ).toBeUndefined()
    expect(await first.readCounter(counter, 60_000)).toBe(3)
    expect(await first.incrementCounter({ counter, windowStart: 120_000, amount: 1, limit: 3 })).toBe(1)
    expect(await first.incrementCounter({ counter, windowStart: 0, amount: 1_000_000_000_000 })).toBe(
      1_000_000_000_000,
    )
    expect(await first.readCounter(uniqueName('absent'), 0)).toBe(0)
  })

  it('gives back a counted request with a negative increment (a refusal by a later limit)', async () => {
    const counter = uniqueName('rpm')
    const windowStart = Date.now() - (Date.now() % 60_000)
    expect(await first.incrementCounter({ counter, windowStart, amount: 1, limit: 1 })).toBe(1)
    expect(await second.incrementCounter({ counter, windowStart, amount: -1 })).toBe(0)
    expect(await first.incrementCounter({ counter, windowStart, amount: 1, limit: 1 })).toBe(1)
  })

  it('purges old request windows but keeps budget counters', async () => {
    const now = 10 * 86_400_000
    const old = uniqueName('rpm')
    const recent = uniqueName('rpm')
    const budget = `cost:${uniqueName('key')}`
    await first.incrementCounter({ counter: old, windowStart: now - 2 * 86_400_000, amount: 1 })
    await first.incrementCounter({ counter: recent, windowStart: now - 60_000, amount: 1 })
    await first.incrementCounter({ counter: budget, windowStart: now - 40 * 86_400_000, amount: 7 })
    expect(await first.purgeCounters(now)).toBeGreaterThanOrEqual(1)
    expect(await first.readCounter(old, now - 2 * 86_400_000)).toBe(0)
    expect(await first.readCounter(recent, now - 60_000)).toBe(1)
    expect(await first.readCounter(budget, now - 40 * 86_400_000)).toBe(7)
  })

  it('admits exactly the limit when two stores on one database race', async () => {
    const counter = uniqueName('race')
    const attempts = Array.from({ length: 40 }, (_, index) =>
      (index % 2 ? first : second).incrementCounter({ counter, windowStart: 0, amount: 1, limit: 25 }),
    )
    const results = await Promise.all(attempts)
    expect(results.filter((result) => result !== undefined)).toHaveLength(25)
    expect(await second.readCounter(counter, 0)).toBe(25)
  })

  it('records usage and answers searches and summaries', async () => {
    const endpoint = uniqueName('endpoint')
    await first.insertUsage([
      usage({ endpoint, timestamp: 1000, keyId: 'k1' }),
      usage({
        endpoint,
        timestamp: 2000,
        keyId: 'k1',
        status: 429,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        errorMessage: 'limited',
      }),
      usage({
        endpoint,
        timestamp: 3000,
        keyId: null,
        stream: true,
        requestBody: '{"a":1}',
        responseBody: '{"b":2}',
      }),
    ])
    const all = await second.searchUsage({ endpoint })
    expect(all.map((record) => record.timestamp)).toEqual([3000, 2000, 1000])
    expect(all[0]).toMatchObject({
      stream: true,
      requestBody: '{"a":1}',
      responseBody: '{"b":2}',
      keyId: null,
    })
    expect(all[1]).toMatchObject({ status: 429, errorMessage: 'limited', keyId: 'k1' })
    expect(await second.searchUsage({ endpoint, startTime: 2000, endTime: 3000 })).toHaveLength(1)
    expect(await second.searchUsage({ endpoint, keyId: 'k1', maxResults: 1 })).toHaveLength(1)
    const summary = await second.summarizeUsage({ endpoint })
    expect(summary).toEqual([
      {
        endpoint,
        provider: 'openai',
        model: 'gpt-4o-mini',
        keyId: null,
        calls: 1,
        errors: 0,
        inputTokens: 10,
        outputTokens: 5,
        costUsd: 0.25,
      },
      {
        endpoint,
        provider: 'openai',
        model: 'gpt-4o-mini',
        keyId: 'k1',
        calls: 2,
        errors: 1,
        inputTokens: 10,
        outputTokens: 5,
        costUsd: 0.25,
      },
    ])
  })

  it('stores API keys by hash, finds, lists and deletes them', async () => {
    const keyId = uniqueName('key')
    const keyHash = uniqueName('hash').padEnd(64, '0')
    await first.createApiKey({
      keyId,
      name: 'team',
      keyHash,
      keyPrefix: 'cairn-gw-abcd',
      creationTime: 5,
      endpoints: ['chat'],
      requestsPerMinute: 10,
      budgetUsd: 2.5,
      budgetPeriod: 'day',
    })
    expect(await second.findApiKeyByHash(keyHash)).toEqual({
      keyId,
      name: 'team',
      keyHash,
      keyPrefix: 'cairn-gw-abcd',
      creationTime: 5,
      endpoints: ['chat'],
      requestsPerMinute: 10,
      tokensPerMinute: undefined,
      budgetUsd: 2.5,
      budgetPeriod: 'day',
    })
    await expect(
      first.createApiKey({
        keyId: uniqueName('other'),
        name: 'x',
        keyHash,
        keyPrefix: 'p',
        creationTime: 1,
        endpoints: [],
      }),
    ).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' })
    expect((await second.listApiKeys()).map((key) => key.keyId)).toContain(keyId)
    expect(await first.deleteApiKey(keyId)).toBe(true)
    expect(await first.deleteApiKey(keyId)).toBe(false)
    expect(await second.findApiKeyByHash(keyHash)).toBeUndefined()
  })
})
