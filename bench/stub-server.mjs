#!/usr/bin/env node
// A do-nothing tracking server for measuring the benchmark client's own ceiling (`--servers stub`): it reads each
// request body in full and answers runs/create, experiments/create and log-batch with minimal valid JSON.
// Usage: node bench/stub-server.mjs --port <n>
import { randomUUID } from 'node:crypto'
import http from 'node:http'

const port = Number(process.argv[process.argv.indexOf('--port') + 1])
let experiments = 0
const server = http.createServer((request, response) => {
  let bytes = 0
  request.on('data', (chunk) => {
    bytes += chunk.length
  })
  request.on('end', () => {
    const path = request.url.split('?')[0]
    let body
    if (path === '/health') body = 'OK'
    else if (path.endsWith('/experiments/create'))
      body = JSON.stringify({ experiment_id: String(++experiments) })
    else if (path.endsWith('/runs/create')) {
      body = JSON.stringify({ run: { info: { run_id: randomUUID().replaceAll('-', '') }, data: {} } })
    } else if (path.endsWith('/runs/log-batch')) body = bytes > 0 ? '{}' : undefined
    if (body === undefined) {
      response.writeHead(404, { 'content-type': 'application/json' })
      response.end('{"error_code":"ENDPOINT_NOT_FOUND"}')
      return
    }
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    response.end(body)
  })
})
server.keepAliveTimeout = 60_000
server.listen(port, '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)))
