// A minimal OpenAI-compatible provider for bench/gateway.mjs: answers /v1/chat/completions at once, as JSON or
// as server-sent events (8 content chunks, a finish chunk, a usage chunk when asked, [DONE]). Prints its port.
import http from 'node:http'

const CONTENT = 'The quick brown fox jumps over the lazy dog.'
const WORDS = CONTENT.split(/(?<= )/)
const JSON_BODY = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: CONTENT }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 10, total_tokens: 22 },
})
const chunk = (delta, finish) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
const STREAM_BODY = [
  chunk({ role: 'assistant', content: '' }, null),
  ...WORDS.map((word) => chunk({ content: word }, null)),
  chunk({}, 'stop'),
].join('')
const USAGE_CHUNK = `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 12, completion_tokens: 10, total_tokens: 22 } })}\n\n`

const server = http.createServer({ keepAliveTimeout: 120_000 }, (request, response) => {
  const chunks = []
  request.on('data', (part) => chunks.push(part))
  request.on('end', () => {
    let body = {}
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {}
    if (!request.url?.endsWith('/chat/completions')) {
      response.writeHead(404, { 'content-type': 'application/json' })
      response.end('{"error":{"message":"not found"}}')
      return
    }
    if (body.stream) {
      response.writeHead(200, { 'content-type': 'text/event-stream' })
      response.end(`${STREAM_BODY}${body.stream_options?.include_usage ? USAGE_CHUNK : ''}data: [DONE]\n\n`)
      return
    }
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(JSON_BODY),
    })
    response.end(JSON_BODY)
  })
})
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
