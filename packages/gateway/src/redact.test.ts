import { describe, expect, it } from 'vitest'
import { parseGatewayConfig } from './config/gateway-config.js'
import { Gateway } from './gateway.js'

const configWith = (key: string, extra = '') =>
  parseGatewayConfig(`
endpoints:
  - {name: chat, endpoint_type: llm/v1/chat, model: {provider: openai, name: m, config: {openai_api_key: ${key}}}}
${extra}`)

describe('Gateway.redact', () => {
  it('still scrubs the secrets of the config a call started on after a reload', async () => {
    const gateway = new Gateway({ config: configWith('sk-old-rotated-secret') })
    gateway.reload(configWith('sk-new-current-secret'))
    expect(gateway.redact('bad key sk-old-rotated-secret / sk-new-current-secret')).toBe('bad key *** / ***')
    await gateway.close()
  })

  it('scrubs a secret that contains another secret whole', async () => {
    const gateway = new Gateway({
      config: configWith('sk-abcd', 'api_keys: [{name: team, key: sk-abcd-and-much-more}]'),
    })
    expect(gateway.redact('key sk-abcd-and-much-more')).toBe('key ***')
    await gateway.close()
  })
})
