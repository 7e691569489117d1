import type { Readable } from 'node:stream'
import { UpstreamError } from './upstream-error.js'

/**
 * The longest SSE event, NDJSON line or event-stream frame accepted from a provider: a provider that never
 * ends a line would otherwise grow the buffer until the process runs out of memory.
 */
export const MAX_STREAM_EVENT_BYTES = 16 * 1024 * 1024

function tooLarge(provider: string): UpstreamError {
  return new UpstreamError(
    'invalid-response',
    `${provider} sent a stream event larger than ${MAX_STREAM_EVENT_BYTES} bytes`,
    { provider },
  )
}

export interface SseEvent {
  event: string
  data: string
}

/**
 * The chunks of a response body. Stopping early (the provider's final event came before the body's end) does not
 * destroy the body: the rest is drained so that the keep-alive socket goes back to the agent; a body that does not
 * end within a second is destroyed. Cancelling a call is the request's abort signal's job.
 */
async function* readChunks(body: Readable): AsyncGenerator<Buffer> {
  try {
    yield* body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>
  } finally {
    if (!body.readableEnded && !body.destroyed) {
      const timer = setTimeout(() => body.destroy(), 1000)
      timer.unref()
      body.once('end', () => clearTimeout(timer))
      body.resume()
    }
  }
}

async function* decodeText(body: Readable, provider: string): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  try {
    for await (const chunk of readChunks(body)) yield decoder.decode(chunk, { stream: true })
  } catch (error) {
    if (error instanceof UpstreamError) throw error
    throw new UpstreamError('stream-dropped', `${provider} dropped the stream mid-way`, { provider })
  }
  const rest = decoder.decode()
  if (rest) yield rest
  if ('complete' in body && body.complete === false)
    throw new UpstreamError('stream-dropped', `${provider} dropped the stream mid-way`, { provider })
}

/** Server-sent events (https://html.spec.whatwg.org/multipage/server-sent-events.html), one per blank line. */
export async function* parseSse(body: Readable, provider: string): AsyncGenerator<SseEvent> {
  let buffer = ''
  let event = ''
  let data: string[] = []
  let dataLength = 0
  for await (const text of decodeText(body, provider)) {
    buffer += text
    let newline = lineEnd(buffer)
    while (newline !== -1) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1))
      if (line === '') {
        if (data.length > 0) yield { event: event || 'message', data: data.join('\n') }
        event = ''
        data = []
        dataLength = 0
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        let value = colon === -1 ? '' : line.slice(colon + 1)
        if (value.startsWith(' ')) value = value.slice(1)
        if (field === 'data') {
          data.push(value)
          dataLength += value.length
          if (dataLength > MAX_STREAM_EVENT_BYTES) throw tooLarge(provider)
        } else if (field === 'event') event = value
      }
      newline = lineEnd(buffer)
    }
    if (buffer.length > MAX_STREAM_EVENT_BYTES) throw tooLarge(provider)
  }
  if (data.length > 0) yield { event: event || 'message', data: data.join('\n') }
}

/** Index of the first line break (`\n`, `\r\n` or a lone `\r`), or -1. */
function lineEnd(text: string): number {
  const newline = text.indexOf('\n')
  const carriage = text.indexOf('\r')
  if (carriage === -1 || (newline !== -1 && newline < carriage)) return newline
  // A `\r` at the very end may be the first half of `\r\n`: wait for more text.
  return carriage === text.length - 1 ? -1 : carriage
}

/** Newline-delimited JSON (Ollama's streaming format). */
export async function* parseNdjson(body: Readable, provider: string): AsyncGenerator<unknown> {
  let buffer = ''
  for await (const text of decodeText(body, provider)) {
    buffer += text
    let newline = buffer.indexOf('\n')
    while (newline !== -1) {
      const line = buffer.slice(0, newline).trim()
      buffer = buffer.slice(newline + 1)
      if (line) yield parseJsonLine(line, provider)
      newline = buffer.indexOf('\n')
    }
    if (buffer.length > MAX_STREAM_EVENT_BYTES) throw tooLarge(provider)
  }
  if (buffer.trim()) yield parseJsonLine(buffer.trim(), provider)
}

export function parseJsonLine(line: string, provider: string): unknown {
  try {
    return JSON.parse(line)
  } catch {
    throw new UpstreamError('invalid-response', `${provider} sent a stream chunk that is not JSON`, {
      provider,
    })
  }
}

/** A provider's stream event that must be a JSON object; anything else is an `invalid-response` failure. */
export function parseJsonEvent<TEvent extends object>(text: string, provider: string): TEvent {
  const value = parseJsonLine(text, provider)
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UpstreamError('invalid-response', `${provider} sent a stream chunk that is not a JSON object`, {
      provider,
    })
  return value as TEvent
}

export interface EventStreamMessage {
  headers: Record<string, string>
  payload: Buffer
}

/**
 * AWS event-stream framing (application/vnd.amazon.eventstream, used by Bedrock's ConverseStream): each
 * message is total length (4), headers length (4), prelude CRC (4), headers, payload, message CRC (4).
 */
export async function* parseEventStream(
  body: Readable,
  provider: string,
): AsyncGenerator<EventStreamMessage> {
  let buffer: Buffer = Buffer.alloc(0)
  try {
    for await (const chunk of readChunks(body)) {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
      while (buffer.length >= 12) {
        const totalLength = buffer.readUInt32BE(0)
        if (totalLength < 16) throw new UpstreamError('invalid-response', `${provider} sent a bad frame`)
        if (totalLength > MAX_STREAM_EVENT_BYTES) throw tooLarge(provider)
        if (buffer.length < totalLength) break
        const message = buffer.subarray(0, totalLength)
        buffer = buffer.subarray(totalLength)
        yield decodeEventStreamMessage(message, provider)
      }
    }
  } catch (error) {
    if (error instanceof UpstreamError) throw error
    throw new UpstreamError('stream-dropped', `${provider} dropped the stream mid-way`, { provider })
  }
  if (buffer.length > 0 || ('complete' in body && body.complete === false))
    throw new UpstreamError('stream-dropped', `${provider} dropped the stream mid-way`, { provider })
}

function decodeEventStreamMessage(message: Buffer, provider: string): EventStreamMessage {
  const headersLength = message.readUInt32BE(4)
  if (
    crc32(message.subarray(0, 8)) !== message.readUInt32BE(8) ||
    crc32(message.subarray(0, message.length - 4)) !== message.readUInt32BE(message.length - 4)
  )
    throw new UpstreamError('invalid-response', `${provider} sent a frame with a bad checksum`, { provider })
  const headers: Record<string, string> = {}
  let offset = 12
  const end = 12 + headersLength
  while (offset < end) {
    const nameLength = message.readUInt8(offset)
    const name = message.toString('utf8', offset + 1, offset + 1 + nameLength)
    offset += 1 + nameLength
    const type = message.readUInt8(offset)
    offset += 1
    if (type === 7) {
      const valueLength = message.readUInt16BE(offset)
      headers[name] = message.toString('utf8', offset + 2, offset + 2 + valueLength)
      offset += 2 + valueLength
    } else {
      const size = HEADER_VALUE_SIZES[type]
      if (size === undefined)
        throw new UpstreamError('invalid-response', `${provider} sent an unknown header type`)
      offset += size
    }
  }
  return { headers, payload: message.subarray(end, message.length - 4) }
}

/** Fixed sizes of event-stream header values by type (0/1 booleans carry no bytes; 6 is bytes with a length). */
const HEADER_VALUE_SIZES: Record<number, number> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16 }

/** Encodes one event-stream message with string headers (used by tests' fake Bedrock). */
export function encodeEventStreamMessage(headers: Record<string, string>, payload: Buffer): Buffer {
  const headerParts: Buffer[] = []
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = Buffer.from(name)
    const valueBytes = Buffer.from(value)
    const part = Buffer.alloc(1 + nameBytes.length + 1 + 2 + valueBytes.length)
    part.writeUInt8(nameBytes.length, 0)
    nameBytes.copy(part, 1)
    part.writeUInt8(7, 1 + nameBytes.length)
    part.writeUInt16BE(valueBytes.length, 2 + nameBytes.length)
    valueBytes.copy(part, 4 + nameBytes.length)
    headerParts.push(part)
  }
  const headerBytes = Buffer.concat(headerParts)
  const total = 12 + headerBytes.length + payload.length + 4
  const message = Buffer.alloc(total)
  message.writeUInt32BE(total, 0)
  message.writeUInt32BE(headerBytes.length, 4)
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8)
  headerBytes.copy(message, 12)
  payload.copy(message, 12 + headerBytes.length)
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4)
  return message
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
