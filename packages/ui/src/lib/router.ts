import { useSyncExternalStore } from 'react'

/** A parsed hash location: `#/experiments/1/runs/abc?tab=charts` → path segments and query. */
export interface Route {
  segments: string[]
  query: URLSearchParams
}

/** Parses `#/a/b?x=1` (the hash of MLflow's links and ours). */
export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '')
  const questionMark = text.indexOf('?')
  const path = questionMark === -1 ? text : text.slice(0, questionMark)
  const search = questionMark === -1 ? '' : text.slice(questionMark + 1)
  const segments = path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment)
      } catch {
        return segment
      }
    })
  return { segments, query: new URLSearchParams(search) }
}

/** Builds `#/a/b?x=1`; empty and undefined query values are left out, so URLs stay short. */
export function buildHash(
  segments: readonly string[],
  query: Record<string, string | undefined> = {},
): string {
  const path = segments.map(encodeURIComponent).join('/')
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(name, value)
  const search = params.toString()
  return `#/${path}${search ? `?${search}` : ''}`
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange)
  return () => window.removeEventListener('hashchange', onChange)
}

/** The current hash route; re-renders on every hash change. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash)
  return parseHash(hash)
}

/** Goes to a hash; `replace` keeps the history entry (for view-state tweaks like sorting or typing). */
export function navigate(hash: string, options: { replace?: boolean } = {}): void {
  if (window.location.hash === hash) return
  if (options.replace) {
    const url = `${window.location.pathname}${window.location.search}${hash}`
    window.history.replaceState(null, '', url)
    window.dispatchEvent(new HashChangeEvent('hashchange'))
  } else {
    window.location.hash = hash
  }
}

/** Sets some query values of the current route, keeping its path and the other values. */
export function updateQuery(
  changes: Record<string, string | undefined>,
  options: { replace?: boolean } = {},
): void {
  const route = parseHash(window.location.hash)
  const query: Record<string, string | undefined> = Object.fromEntries(route.query.entries())
  Object.assign(query, changes)
  navigate(buildHash(route.segments, query), { replace: options.replace ?? true })
}

/** A comma-separated list from the query (`cols=a,b`); values may not contain commas unescaped. */
export function readList(query: URLSearchParams, name: string): string[] {
  return splitList(query.get(name))
}

/** The items of a comma-separated list value (`null` or '' → none). */
export function splitList(value: string | null): string[] {
  if (!value) return []
  return value.split(',').map(decodeListItem)
}

export function writeList(values: readonly string[]): string | undefined {
  return values.length === 0 ? undefined : values.map(encodeListItem).join(',')
}

function encodeListItem(value: string): string {
  return value.replace(/%/g, '%25').replace(/,/g, '%2C')
}

function decodeListItem(value: string): string {
  return value.replace(/%2C/gi, ',').replace(/%25/g, '%')
}
