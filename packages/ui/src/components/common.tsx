import { type ReactNode, useCallback, useEffect, useState } from 'react'
import Markdown from 'react-markdown'
import { errorMessage } from '../lib/format.js'

export function ErrorBanner({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null
  return (
    <p className="error" role="alert">
      {errorMessage(error)}
    </p>
  )
}

/**
 * Markdown written by users, rendered without any raw HTML (react-markdown escapes it; `skipHtml`
 * drops it) and with links limited to http(s)/mailto.
 */
export function SafeMarkdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <Markdown skipHtml urlTransform={(url) => (/^(https?:|mailto:|#|\/)/i.test(url) ? url : undefined)}>
        {text}
      </Markdown>
    </div>
  )
}

/** State of an async load: data, error, and a reload function. */
export function useLoad<T>(load: () => Promise<T>, dependencies: readonly unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true })
  const [version, setVersion] = useState(0)
  // biome-ignore lint/correctness/useExhaustiveDependencies: callers list what load depends on
  useEffect(() => {
    let cancelled = false
    setState((previous) => ({ ...previous, loading: true }))
    load().then(
      (data) => !cancelled && setState({ data, loading: false }),
      (error: unknown) => !cancelled && setState({ error, loading: false }),
    )
    return () => {
      cancelled = true
    }
  }, [...dependencies, version])
  const reload = useCallback(() => setVersion((value) => value + 1), [])
  return { ...state, reload }
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string
  children: ReactNode
  actions?: ReactNode
}) {
  return (
    <section className="section" aria-label={title}>
      <header className="section-header">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  )
}

export function KeyValueTable({
  entries,
  empty = 'None',
}: {
  entries: [string, ReactNode][]
  empty?: string
}) {
  if (entries.length === 0) return <p className="muted">{empty}</p>
  return (
    <table className="kv">
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
