import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { serveUi } from './static-ui.js'

function appWithUi(): Hono {
  // <base>/secret.txt sits next to the served folder <base>/ui: nothing may reach it.
  const base = mkdtempSync(join(tmpdir(), 'cairn-ui-'))
  const folder = join(base, 'ui')
  mkdirSync(join(folder, 'assets'), { recursive: true })
  writeFileSync(join(folder, 'index.html'), '<!doctype html><div id="root"></div>')
  writeFileSync(join(folder, 'assets', 'index-abc123.js'), 'console.log(1)')
  writeFileSync(join(folder, '.env'), 'HIDDEN=1')
  writeFileSync(join(base, 'secret.txt'), 'SECRET')
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
    expect((await app.request('/missing.js')).status).toBe(404)
  })

  it.each([
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/.%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets%2f..%2f..%2fsecret.txt',
    '/%2F..%2Fsecret.txt',
    '/..%5csecret.txt',
    '/assets%5c..%5c..%5csecret.txt',
    '/..\\secret.txt',
    '/%252e%252e%252fsecret.txt',
    '/index.html%00.js',
    '/%E0%A4%A',
    '/.env',
    '/%2eenv',
  ])('refuses %s (path traversal, encoded dots, backslashes, dot files)', async (path) => {
    const response = await app.request(path)
    expect(response.status).toBe(404)
    expect(await response.text()).not.toMatch(/SECRET|HIDDEN/)
  })

  it('still serves a nested asset reached through an encoded slash', async () => {
    const response = await app.request('/assets%2findex-abc123.js')
    expect(response.status).toBe(200)
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('tells how to build the UI when it is missing', async () => {
    const app = new Hono()
    app.get('*', serveUi(join(tmpdir(), 'cairn-no-ui-here')))
    const response = await app.request('/')
    expect(response.status).toBe(404)
    expect(await response.text()).toMatch(/npm run build/)
  })
})
