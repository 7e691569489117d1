import http from 'node:http'
import { performance } from 'node:perf_hooks'

/**
 * A keep-alive HTTP/1.1 client for one server. Bodies are Buffers (or arrays of Buffers written back to back),
 * so callers serialise them before the timed loop starts.
 */
export function createClient(baseUrl, { connections = 8 } = {}) {
  const url = new URL(baseUrl)
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections })

  function request(method, path, options = {}) {
    // A keep-alive socket that the server closed while this process was busy fails on reuse; retry it once on a
    // fresh socket (the request never reached the server).
    return attempt(method, path, options).catch((error) => {
      if (error.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE'))
        return attempt(method, path, options)
      throw error
    })
  }

  function attempt(method, path, { body, timeoutMs = 600_000 } = {}) {
    const parts = body === undefined ? [] : Array.isArray(body) ? body : [body]
    let length = 0
    for (const part of parts) length += part.length
    const headers = { host: url.host }
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = String(length)
    }
    return new Promise((resolve, reject) => {
      const started = performance.now()
      const req = http.request(
        { agent, hostname: url.hostname, port: url.port, method, path, headers, timeout: timeoutMs },
        (res) => {
          const chunks = []
          let bytes = 0
          res.on('data', (chunk) => {
            chunks.push(chunk)
            bytes += chunk.length
          })
          res.on('end', () => {
            const ms = performance.now() - started
            resolve({ status: res.statusCode ?? 0, chunks, bytes, ms })
          })
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)))
      req.on('error', (error) => {
        error.reusedSocket = req.reusedSocket
        reject(error)
      })
      for (const part of parts) req.write(part)
      req.end()
    })
  }

  return {
    baseUrl,
    request,
    /** POST a pre-serialised body; resolves with status, raw chunks, byte count and milliseconds to the last byte. */
    post: (path, body, options) => request('POST', path, { ...options, body }),
    get: (path, options) => request('GET', path, options),
    close: () => agent.destroy(),
  }
}

export function bodyText(response) {
  return Buffer.concat(response.chunks).toString('utf8')
}

export function bodyJson(response) {
  return JSON.parse(bodyText(response))
}

export function json(value) {
  return Buffer.from(JSON.stringify(value))
}

/** Throws with the server's answer unless the status is 200. */
export function expectOk(response, what) {
  if (response.status !== 200) {
    const text = bodyText(response).slice(0, 500)
    throw new Error(`${what} answered ${response.status}: ${text}`)
  }
  return response
}

export async function postJson(client, path, value) {
  return bodyJson(expectOk(await client.post(path, json(value)), `POST ${path}`))
}

export async function getJson(client, path) {
  return bodyJson(expectOk(await client.get(path), `GET ${path}`))
}
