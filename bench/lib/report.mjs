import { median } from './stats.mjs'

const CAIRN_SERVERS = ['cairn', 'cairn-pg']
const COLUMN_TITLES = {
  cairn: 'Cairn (SQLite)',
  'cairn-pg': 'Cairn (PostgreSQL)',
  mlflow: 'MLflow',
  stub: 'stub server',
}

function rows(options) {
  const { concurrency, searchRuns, historyPoints } = options
  const points = historyPoints.toLocaleString('en-US')
  return [
    {
      id: 'ingest',
      phase: 'ingest',
      label: `log-batch ingest: 1000-metric batches, ${concurrency} clients`,
      unit: 'metrics/s',
      better: 'higher',
      pick: (rep) => rep.value,
      check: (rep) => (rep.errors ? `${rep.errors} failed batches: ${rep.firstError}` : true),
      target: { min: 150_000, ratio: 25 },
    },
    {
      id: 'create',
      phase: 'create',
      label: `run creation: runs/create + 1 small log-batch, ${concurrency} clients`,
      unit: 'runs/s',
      better: 'higher',
      pick: (rep) => rep.value,
      check: (rep) => (rep.errors ? `${rep.errors} failed runs: ${rep.firstError}` : true),
      target: { min: 1000 },
    },
    {
      id: 'search',
      phase: 'search',
      label: `search-runs over ${searchRuns.toLocaleString('en-US')} runs: metric+param filter, order by metric, 100/page, p50`,
      unit: 'ms',
      better: 'lower',
      pick: (rep) => rep.value,
      check: (rep) => (rep.resultsMatchExpected ? true : rep.firstMismatch),
      target: { max: 50, ratio: 50 },
    },
    {
      id: 'history-full',
      phase: 'history',
      label: `get-history, ${points} points, no max_results`,
      unit: 'ms',
      better: 'lower',
      pick: (rep) => rep.fullMs,
      check: (rep) => rep.fullCheck,
      target: { max: 1000 },
    },
    {
      id: 'history-paged',
      phase: 'history',
      label: `get-history, ${points} points, max_results=25000 + page tokens`,
      unit: 'ms',
      better: 'lower',
      pick: (rep) => rep.pagedMs,
      check: (rep) => rep.pagedCheck,
      target: { max: 1000 },
    },
    {
      id: 'history-bulk',
      phase: 'history',
      label: `get-history-bulk-interval, ${points} points, default max_results (2500), p50`,
      unit: 'ms',
      better: 'lower',
      pick: (rep) => rep.bulkMs,
      check: (rep) => rep.bulkCheck,
      target: { max: 50 },
    },
  ]
}

export function summarize(result) {
  const summary = { rows: [], rss: {} }
  for (const row of rows(result.options)) {
    const phase = result.phases[row.phase]
    if (!phase) continue
    const entry = {
      id: row.id,
      label: row.label,
      unit: row.unit,
      better: row.better,
      target: row.target,
      servers: {},
    }
    for (const [server, reps] of Object.entries(phase)) {
      const good = reps.filter((rep) => !rep.error)
      const values = good.map(row.pick).filter((value) => typeof value === 'number' && Number.isFinite(value))
      const problems = [
        ...reps.filter((rep) => rep.error).map((rep) => rep.error.split('\n')[0]),
        ...good.map(row.check).filter((check) => check !== true && check !== undefined),
      ]
      entry.servers[server] = { median: values.length ? median(values) : null, values, problems }
    }
    summary.rows.push(entry)
  }
  for (const [server, labels] of Object.entries(result.rss ?? {})) {
    const perPhase = {}
    const perPhaseParts = {}
    let maxKb = 0
    for (const [label, stats] of Object.entries(labels)) {
      perPhase[label] = Math.round(stats.maxKb / 1024)
      if (stats.maxAnonKb !== undefined) {
        perPhaseParts[label] = {
          anonMb: Math.round(stats.maxAnonKb / 1024),
          fileMb: Math.round(stats.maxFileKb / 1024),
        }
      }
      if (label !== 'idle') maxKb = Math.max(maxKb, stats.maxKb)
    }
    summary.rss[server] = {
      maxMb: Math.round(maxKb / 1024),
      perPhaseMb: perPhase,
      perPhasePartsMb: perPhaseParts,
    }
  }
  return summary
}

function format(value, unit) {
  if (value === null || value === undefined) return 'n/a'
  if (unit === 'ms') return value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')
  return Math.round(value).toLocaleString('en-US')
}

function ratioOf(entry, server) {
  const cairn = entry.servers[server]?.median
  const mlflow = entry.servers.mlflow?.median
  if (!cairn || !mlflow) return null
  return entry.better === 'higher' ? cairn / mlflow : mlflow / cairn
}

function ratioText(ratio, better) {
  if (ratio === null) return 'n/a'
  const times = (value) => `${value >= 10 ? Math.round(value) : value.toFixed(1)}×`
  if (better === 'higher') return times(ratio)
  return ratio >= 1 ? `${times(ratio)} faster` : `${times(1 / ratio)} slower`
}

function targetText(target, better, unit) {
  const parts = []
  if (target.min !== undefined) parts.push(`≥ ${target.min.toLocaleString('en-US')} ${unit}`)
  if (target.max !== undefined) parts.push(`≤ ${target.max.toLocaleString('en-US')} ${unit}`)
  if (target.ratio !== undefined)
    parts.push(`≥ ${target.ratio}× ${better === 'higher' ? 'MLflow' : 'faster than MLflow'}`)
  return parts.join(', ')
}

function met(entry, server) {
  const value = entry.servers[server]?.median
  if (value === null || value === undefined) return 'n/a'
  const { min, max, ratio } = entry.target
  if (min !== undefined && value < min) return 'no'
  if (max !== undefined && value > max) return 'no'
  if (ratio !== undefined) {
    const actual = ratioOf(entry, server)
    if (actual === null) return 'ratio n/a'
    if (actual < ratio) return 'no'
  }
  return entry.servers[server].problems.length ? 'yes (see notes)' : 'yes'
}

export function renderTable(result) {
  const { summary } = result
  const present = new Set(summary.rows.flatMap((row) => Object.keys(row.servers)))
  for (const server of Object.keys(summary.rss)) present.add(server)
  const cairns = CAIRN_SERVERS.filter((server) => present.has(server))
  const columns = [...cairns, ...['mlflow', 'stub'].filter((server) => present.has(server))]
  const header = [
    'Metric',
    ...columns.map((server) => COLUMN_TITLES[server]),
    ...(present.has('mlflow') ? cairns.map((server) => `${COLUMN_TITLES[server]} vs MLflow`) : []),
    'Target',
    ...cairns.map((server) => `Met (${COLUMN_TITLES[server]})`),
  ]
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`]
  const notes = []
  for (const entry of summary.rows) {
    const cells = [`${entry.label} (${entry.unit})`]
    for (const server of columns) {
      const data = entry.servers[server]
      cells.push(data ? format(data.median, entry.unit) + (data.problems.length ? ' (!)' : '') : 'n/a')
      for (const problem of data?.problems ?? []) notes.push(`${entry.id} ${server}: ${problem}`)
    }
    if (present.has('mlflow')) {
      for (const server of cairns) {
        const ratio = ratioOf(entry, server)
        cells.push(ratioText(ratio, entry.better))
      }
    }
    cells.push(targetText(entry.target, entry.better, entry.unit))
    for (const server of cairns) cells.push(met(entry, server))
    lines.push(`| ${cells.join(' | ')} |`)
  }
  const rssCells = ['max server RSS over the phases above (MB, process tree)']
  for (const server of columns) rssCells.push(summary.rss[server] ? String(summary.rss[server].maxMb) : 'n/a')
  if (present.has('mlflow')) for (const _ of cairns) rssCells.push('')
  rssCells.push('≤ 250 MB')
  for (const server of cairns) {
    const rss = summary.rss[server]
    rssCells.push(rss ? (rss.maxMb <= 250 ? 'yes' : 'no') : 'n/a')
  }
  lines.push(`| ${rssCells.join(' | ')} |`)

  const phaseLabels = [
    ...new Set(Object.values(summary.rss).flatMap((rss) => Object.keys(rss.perPhaseMb))),
  ].filter((label) => label !== 'idle')
  if (phaseLabels.length) {
    lines.push(
      '',
      `| RSS max per phase (MB; anon/file: max RssAnon/RssFile) | ${columns.map((server) => COLUMN_TITLES[server]).join(' | ')} |`,
    )
    lines.push(`|---|${columns.map(() => '---').join('|')}|`)
    for (const label of phaseLabels) {
      const cell = (server) => {
        const rss = summary.rss[server]
        const total = rss?.perPhaseMb[label]
        if (total === undefined) return 'n/a'
        const parts = rss.perPhasePartsMb?.[label]
        return parts ? `${total} (anon ${parts.anonMb}, file ${parts.fileMb})` : String(total)
      }
      lines.push(`| ${label} | ${columns.map(cell).join(' | ')} |`)
    }
  }
  if (notes.length || result.errors.length) {
    lines.push('', 'Notes:')
    for (const note of [...notes, ...result.errors.map((error) => error.split('\n')[0])])
      lines.push(`- ${note}`)
  }
  return lines.join('\n')
}
