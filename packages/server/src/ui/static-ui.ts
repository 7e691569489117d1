import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { dirname, extname, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Context, Next } from 'hono'

/** Where `vite build` writes the UI (`packages/ui/dist`), seen from `src/ui` and `dist/ui` alike. */
export const DEFAULT_UI_DIRECTORY = resolve(dirname(fileURLToPath(import.meta.url)), '../../../ui/dist')

/** Paths the UI never answers, so an unknown API route still gets ENDPOINT_NOT_FOUND. */
const API_PATH = /^\/(api|ajax-api|health|version|get-artifact|model-versions|gateway|invocations)(\/|$)/

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
}

/** Vite names built assets `<name>-<hash>.<ext>` under `assets/`: they never change, so cache them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable'
const NO_CACHE = 'no-cache'

/**
 * A Hono middleware serving the built web UI: `/` (and `/index.html`) is `index.html`, never cached so
 * a new build shows at once; other files come from the build folder, hashed assets cached for good.
 * API paths and files that do not exist fall through to the next handler (the JSON 404).
 */
export function serveUi(directory: string = DEFAULT_UI_DIRECTORY) {
  const root = resolve(directory)
  return async (c: Context, next: Next): Promise<Response | undefined> => {
    const method = c.req.method
    const path = c.req.path
    if ((method !== 'GET' && method !== 'HEAD') || API_PATH.test(path)) return pass(next)
    const relative = path === '/' ? 'index.html' : decodeSafely(path.slice(1))
    if (relative === undefined) return pass(next)
    const file = resolve(root, relative)
    if (file !== root && !file.startsWith(root + sep)) return pass(next)
    const info = await stat(file).catch(() => undefined)
    if (!info?.isFile()) {
      if (path === '/' && !existsSync(root)) {
        return c.text(`The web UI is not built (no ${root}). Run \`npm run build\` first.`, 404)
      }
      return pass(next)
    }
    const body = method === 'HEAD' ? null : await readFile(file)
    const isIndex = relative === 'index.html'
    return new Response(body, {
      headers: {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': String(info.size),
        'cache-control': !isIndex && relative.startsWith('assets/') ? IMMUTABLE : NO_CACHE,
        'x-content-type-options': 'nosniff',
      },
    })
  }
}

async function pass(next: Next): Promise<undefined> {
  await next()
  return undefined
}

/**
 * The request path as a relative file name, or undefined when it could step outside the folder or name
 * something we never serve: NUL, backslashes (a separator on Windows), `.`/`..` segments and dot files.
 * The resolved-path check in `serveUi` stays as a second guard.
 */
function decodeSafely(path: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(path)
  } catch {
    return undefined
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined
  if (decoded.split('/').some((segment) => segment === '' || segment.startsWith('.'))) return undefined
  return decoded
}
