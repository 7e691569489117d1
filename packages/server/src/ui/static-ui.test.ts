import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { serveUi } from './static-ui.js'

function appWithUi(): Hono {
  const folder = mkdtempSync(join(tmpdir(), 'cairn-ui-'))
  mkdirSync(join(folder, 'assets'))
  writeFileSync(join(folder, 'index.html'), '<!doctype html><div id="root"></div>')
  writeFileSync(join(folder, 'assets', 'index-abc123.js'), 'console.log(1)')
  writeFileSync(join(folder, '..', 'secret.txt'), 'no')
  const app = new Hono()
  app.get('/api/2.0/mlflow/experiments/get', (c) => c.json({ ok: true }))
  app.get('*', serveUi(folder))
  app.notFound((c) => c.json({ error_code: 'ENDPOINT_NOT_FOUND', message: 'no route' }, 404))
  return app
}

describe('serveUi', () => {
  const app = appWithUi()

  it('serves index.html at / without caching', async () => {
    const response = await app.request('/')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache')
    expect(await response.text()).toContain('id="root"')
  })

  it('serves hashed assets with a long cache', async () => {
    const response = await app.request('/assets/index-abc123.js')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
  })

  it('never shadows API routes, unknown API paths, or files outside its folder', async () => {
    expect(await (await app.request('/api/2.0/mlflow/experiments/get')).json()).toEqual({ ok: true })
    const unknown = await app.request('/api/2.0/mlflow/nope')
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error_code: string }).error_code).toBe('ENDPOINT_NOT_FOUND')
    expect((await app.request('/%2e%2e/secret.txt')).status).toBe(404)
    expect((await app.request('/missing.js')).status).toBe(404)
  })

  it('tells how to build the UI when it is missing', async () => {
    const app = new Hono()
    app.get('*', serveUi(join(tmpdir(), 'cairn-no-ui-here')))
    const response = await app.request('/')
    expect(response.status).toBe(404)
    expect(await response.text()).toMatch(/npm run build/)
  })
})
