import { useEffect, useState } from 'react'
import { parseHash, type Route, useRoute } from './lib/router.js'
import { ComparePage } from './pages/ComparePage.js'
import { ExperimentsPage } from './pages/ExperimentsPage.js'
import { ModelPage, ModelsPage, ModelVersionPage } from './pages/RegistryPages.js'
import { RunPage } from './pages/RunPage.js'
import { RunsPage } from './pages/RunsPage.js'

type Theme = 'light' | 'dark'

function initialTheme(): Theme {
  const stored = typeof localStorage === 'undefined' ? null : localStorage.getItem('cairn-theme')
  if (stored === 'light' || stored === 'dark') return stored
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches
    ? 'dark'
    : 'light'
}

/** Experiment ids of MLflow's `compare-experiments/s?experiments=["1","2"]` link. */
function mlflowExperimentList(query: URLSearchParams): string[] {
  try {
    const parsed = JSON.parse(query.get('experiments') ?? '[]') as unknown
    return Array.isArray(parsed) ? parsed.map(String) : []
  } catch {
    return []
  }
}

/** The page for a hash route; the paths of MLflow's UI links open the matching pages. */
export function pageFor(route: Route) {
  const [first, second, third, fourth, ...rest] = route.segments
  const query = route.query
  if (first === undefined || (first === 'experiments' && second === undefined))
    return <ExperimentsPage query={query} />
  if (first === 'experiments' && second !== undefined) {
    if (third === 'runs' && fourth !== undefined) {
      const artifactPath = rest[0] === 'artifacts' && rest.length > 1 ? rest.slice(1).join('/') : undefined
      return <RunPage key={fourth} runId={fourth} query={query} artifactPath={artifactPath} />
    }
    return <RunsPage key={second} experimentIds={second.split(',').filter(Boolean)} query={query} />
  }
  if (first === 'compare-experiments')
    return <RunsPage experimentIds={mlflowExperimentList(query)} query={query} />
  if (first === 'compare' || first === 'compare-runs') return <ComparePage query={query} />
  if (first === 'models' && second === undefined) return <ModelsPage query={query} />
  if (first === 'models' && second !== undefined) {
    if (third === 'versions' && fourth !== undefined)
      return <ModelVersionPage name={second} version={fourth} />
    return <ModelPage name={second} />
  }
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        No page for <code>#{route.segments.join('/')}</code>. <a href="#/">Back to experiments</a>
      </p>
    </div>
  )
}

export function App() {
  const route = useRoute()
  const [theme, setTheme] = useState<Theme>(initialTheme)
  useEffect(() => {
    document.documentElement.dataset.theme = theme
    localStorage.setItem('cairn-theme', theme)
  }, [theme])
  const section = route.segments[0] === 'models' ? 'models' : 'experiments'
  return (
    <div className="app">
      {/* A button, not a link: with hash routing a `#main` link would change the route. */}
      <button type="button" className="skip-link" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header className="top-bar">
        <a className="brand" href="#/">
          Cairn
        </a>
        <nav aria-label="Main">
          <a href="#/experiments" aria-current={section === 'experiments' ? 'page' : undefined}>
            Experiments
          </a>
          <a href="#/models" aria-current={section === 'models' ? 'page' : undefined}>
            Models
          </a>
        </nav>
        <span className="spacer" />
        <button
          type="button"
          onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        >
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {pageFor(route)}
      </main>
    </div>
  )
}

export { parseHash }
