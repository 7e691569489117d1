import { createHash, createHmac } from 'node:crypto'
import { SignatureV4 } from '@smithy/signature-v4'
import { describe, expect, it } from 'vitest'
import { signRequest } from './sigv4.js'

/** SHA-256 for the AWS SDK's signer (its `Checksum` interface), from node:crypto. */
class Sha256 {
  readonly #hash
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret ? createHmac('sha256', toBytes(secret)) : createHash('sha256')
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBytes(data))
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest())
  }
  reset(): void {}
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token',
}

describe('signRequest', () => {
  it('produces the signature of the AWS SDK signer for a Bedrock call (model ids with : and query strings)', async () => {
    const date = new Date('2024-05-06T07:08:09Z')
    const url = new URL(
      'https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse?b=2&a=1',
    )
    const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] })
    const headers = { 'content-type': 'application/json', accept: 'application/json' }
    const ours = signRequest({
      method: 'POST',
      url,
      headers,
      body,
      region: 'us-west-2',
      service: 'bedrock',
      credentials,
      date,
    })

    const signer = new SignatureV4({
      credentials,
      region: 'us-west-2',
      service: 'bedrock',
      sha256: Sha256,
      uriEscapePath: true,
    })
    const reference = await signer.sign(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: url.hostname,
        path: url.pathname,
        query: { b: '2', a: '1' },
        headers: { ...headers, host: url.host, 'x-amz-content-sha256': ours['x-amz-content-sha256']! },
        body,
      },
      { signingDate: date },
    )
    expect(ours.authorization).toBe(reference.headers.authorization)
    expect(ours['x-amz-date']).toBe('20240506T070809Z')
    expect(ours['x-amz-security-token']).toBe('session-token')
  })
})
