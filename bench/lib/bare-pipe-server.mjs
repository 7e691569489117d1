#!/usr/bin/env node
// The floor of what any Node HTTP server can do here: PUT streams the body into a file, GET streams a file back,
// DELETE removes it, GET /health answers 200. No routing, checks or database. The artifact bench runs it beside
// Cairn and MLflow so a proxy's throughput can be read against the cost of the HTTP hop itself.
//   node bench/lib/bare-pipe-server.mjs --port <port> --dir <dir>
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { port: { type: 'string' }, dir: { type: 'string' } } })
const dir = path.resolve(values.dir ?? '.')
mkdirSync(dir, { recursive: true })
const CHUNK = 1024 * 1024

http
  .createServer(async (request, response) => {
    try {
      if (request.url === '/health') return response.end('OK')
      const file = path.join(dir, path.basename(new URL(request.url ?? '/', 'http://x').pathname))
      if (request.method === 'PUT') {
        await pipeline(request, createWriteStream(file, { highWaterMark: CHUNK }))
        response.end('{}')
      } else if (request.method === 'DELETE') {
        await rm(file, { force: true })
        response.end('{}')
      } else {
        const { size } = await stat(file)
        response.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' })
        await pipeline(createReadStream(file, { highWaterMark: CHUNK }), response)
      }
    } catch (error) {
      if (!response.headersSent) response.writeHead(500)
      response.end(String(error))
    }
  })
  .listen(Number(values.port), '127.0.0.1')
