#!/usr/bin/env node
// A do-nothing scoring server for the serving benchmark's `stub` target: it reads each /invocations body in full
// and answers a fixed one-row prediction, so its figures are the load generator's own ceiling on this machine.
// Usage: node bench/serving/stub-scoring-server.mjs --port <n>
import http from 'node:http'

const port = Number(process.argv[process.argv.indexOf('--port') + 1])
const ANSWER = JSON.stringify({ predictions: [{ label: 2, probabilities: [0.0006, 0.4811, 0.5183] }] })
const server = http.createServer((request, response) => {
  request.on('data', () => {})
  request.on('end', () => {
    const path = request.url.split('?')[0]
    const body = path === '/invocations' ? ANSWER : '\n'
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    response.end(body)
  })
})
server.keepAliveTimeout = 65_000
server.listen(port, '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)))
