import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { encodeEventStreamMessage, parseEventStream, parseNdjson, parseSse } from './stream-parsers.js'
import { UpstreamError } from './upstream-error.js'

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}

describe('parseSse', () => {
  it('reads events split anywhere, with LF, CRLF and CR line ends, comments and multi-line data', async () => {
    const text =
      ': comment\r\nevent: a\r\ndata: one\r\n\r\ndata: two\ndata: lines\n\nevent:b\rdata:{"x":1}\r\r'
    for (const size of [1, 2, 3, 7, text.length]) {
      const chunks: Buffer[] = []
      for (let index = 0; index < text.length; index += size)
        chunks.push(Buffer.from(text.slice(index, index + size)))
      const events = await collect(parseSse(Readable.from(chunks), 'test'))
      expect(events).toEqual([
        { event: 'a', data: 'one' },
        { event: 'message', data: 'two\nlines' },
        { event: 'b', data: '{"x":1}' },
      ])
    }
  })
})

describe('parseNdjson', () => {
  it('reads one JSON value per line and rejects a line that is not JSON', async () => {
    expect(
      await collect(
        parseNdjson(Readable.from([Buffer.from('{"a":1}\n{"b"'), Buffer.from(':2}\n\n{"c":3}')]), 'test'),
      ),
    ).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }])
    await expect(
      collect(parseNdjson(Readable.from([Buffer.from('{nope}\n')]), 'test')),
    ).rejects.toBeInstanceOf(UpstreamError)
  })
})

describe('parseEventStream', () => {
  it('decodes AWS event-stream frames split across chunks', async () => {
    const frames = Buffer.concat([
      encodeEventStreamMessage(
        { ':event-type': 'messageStart', ':message-type': 'event' },
        Buffer.from('{"role":"assistant"}'),
      ),
      encodeEventStreamMessage({ ':event-type': 'messageStop' }, Buffer.from('{}')),
    ])
    const messages = await collect(
      parseEventStream(
        Readable.from([frames.subarray(0, 5), frames.subarray(5, 70), frames.subarray(70)]),
        'test',
      ),
    )
    expect(messages.map((message) => message.headers[':event-type'])).toEqual(['messageStart', 'messageStop'])
    expect(JSON.parse(messages[0]!.payload.toString())).toEqual({ role: 'assistant' })
  })

  it('rejects a frame with a bad checksum and a truncated frame', async () => {
    const frame = encodeEventStreamMessage({ ':event-type': 'x' }, Buffer.from('{}'))
    const corrupt = Buffer.from(frame)
    corrupt[corrupt.length - 6]! ^= 0xff
    await expect(collect(parseEventStream(Readable.from([corrupt]), 'test'))).rejects.toThrow(/checksum/)
    await expect(
      collect(parseEventStream(Readable.from([frame.subarray(0, frame.length - 3)]), 'test')),
    ).rejects.toMatchObject({
      failure: 'stream-dropped',
    })
  })
})

describe('oversized events', () => {
  const MIB = Buffer.alloc(1024 * 1024, 'a')
  const endless = (count: number, head = '') =>
    Readable.from([Buffer.from(head), ...Array.from({ length: count }, () => MIB)])

  it('rejects an SSE line or NDJSON line that never ends instead of buffering it', async () => {
    await expect(collect(parseSse(endless(17, 'data: '), 'test'))).rejects.toMatchObject({
      failure: 'invalid-response',
    })
    await expect(collect(parseNdjson(endless(17), 'test'))).rejects.toMatchObject({
      failure: 'invalid-response',
    })
  })

  it('rejects an event-stream frame announcing more than the limit', async () => {
    const frame = Buffer.alloc(12)
    frame.writeUInt32BE(0x7fffffff, 0)
    await expect(collect(parseEventStream(Readable.from([frame, MIB]), 'test'))).rejects.toMatchObject({
      failure: 'invalid-response',
    })
  })
})
