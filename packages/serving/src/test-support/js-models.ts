import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { type CairnClient, logModel } from '@cairn/sdk/node'

/**
 * A JS-flavour test model written by hand in the agreed layout (MLmodel `flavors.js`, the module under `js/`).
 * Dataframe input with columns `a`, `b` (and optionally `sleep_ms`): answers a dataframe with `sum` = a + b +
 * `offset`, the worker thread id, and throws for a = 13 (a model failure, not an input error) or once closed.
 * Tensor input answers the tensor itself.
 */
export const SUM_MODEL_SOURCE = (offset: number, rowBatchable: boolean) => `
import { writeFileSync } from 'node:fs'
import { threadId } from 'node:worker_threads'

export const rowBatchable = ${rowBatchable}

// A prediction on a closed model fails, so tests notice a model closed under requests still running on it; a
// close while predictions run also leaves a file beside the module, for requests whose answer was already sent.
let closed = false
let active = 0
export function close() {
  closed = true
  if (active > 0) writeFileSync(new URL('./closed-while-predicting', import.meta.url), String(active))
}

export async function predict(input) {
  if (closed) throw new Error('predict after close')
  if (input.kind === 'tensor') return { kind: 'tensor', value: input.value }
  if (input.kind !== 'dataframe') return { kind: 'json', value: input.values }
  const a = input.columns.indexOf('a')
  const b = input.columns.indexOf('b')
  const sleep = input.columns.indexOf('sleep_ms')
  if (sleep >= 0) {
    const ms = Math.max(0, ...input.rows.map((row) => Number(row[sleep]) || 0))
    active++
    await new Promise((resolve) => setTimeout(resolve, ms))
    active--
    if (closed) throw new Error('predict after close')
  }
  if (input.rows.some((row) => row[a] === 13)) throw new Error('13 is unlucky')
  return {
    kind: 'dataframe',
    columns: ['sum', 'thread'],
    rows: input.rows.map((row) => [row[a] + row[b] + ${offset}, threadId]),
  }
}
`

const COLUMN_SIGNATURE = JSON.stringify([
  { type: 'double', name: 'a', required: true },
  { type: 'double', name: 'b', required: true },
  { type: 'long', name: 'sleep_ms', required: false },
])

const TENSOR_SIGNATURE = JSON.stringify([
  { type: 'tensor', 'tensor-spec': { dtype: 'float64', shape: [-1, 2] } },
])

/** Options of {@link writeSumModel}. */
export interface SumModelOptions {
  /** Added to every sum, so two versions answer differently. */
  readonly offset?: number
  readonly rowBatchable?: boolean
  /** `columns` (a, b, sleep_ms), `tensor` (float64 of shape [-1, 2]) or none. */
  readonly signature?: 'columns' | 'tensor' | 'none'
}

/** Writes the sum model into `directory` (created) and answers the directory. */
export async function writeSumModel(directory: string, options: SumModelOptions = {}): Promise<string> {
  await mkdir(path.join(directory, 'js'), { recursive: true })
  await writeFile(
    path.join(directory, 'js', 'model.mjs'),
    SUM_MODEL_SOURCE(options.offset ?? 0, options.rowBatchable ?? true),
  )
  await writeFile(
    path.join(directory, 'js', 'package.json'),
    `${JSON.stringify({ name: 'sum-model', version: '1.0.0', type: 'module', private: true }, null, 2)}\n`,
  )
  await writeFile(
    path.join(directory, 'js', 'package-lock.json'),
    `${JSON.stringify({ name: 'sum-model', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'sum-model', version: '1.0.0' } } }, null, 2)}\n`,
  )
  const signature = options.signature ?? 'columns'
  const lines = [
    'flavors:',
    '  js:',
    '    entry: js/model.mjs',
    '    code: js',
    `    node_version: ${process.versions.node}`,
    `model_uuid: ${'0123456789abcdef'.repeat(2)}`,
    "utc_time_created: '2026-11-27 08:00:00.000000'",
  ]
  if (signature !== 'none') {
    lines.push(
      'signature:',
      `  inputs: '${signature === 'columns' ? COLUMN_SIGNATURE : TENSOR_SIGNATURE}'`,
      '  outputs: null',
    )
  }
  await writeFile(path.join(directory, 'MLmodel'), `${lines.join('\n')}\n`)
  return directory
}

// Each load appends a line to `loads`; a load fails while `broken` exists; a = 99 ends the worker thread.
const CRASHING_MODEL_SOURCE = `
import { appendFileSync, existsSync } from 'node:fs'
import { threadId } from 'node:worker_threads'

export function load() {
  appendFileSync(new URL('./loads', import.meta.url), threadId + '\\n')
  if (existsSync(new URL('./broken', import.meta.url))) throw new Error('cannot load now')
}

export async function predict(input) {
  if (input.rows[0][0] === 99) process.exit(3)
  await new Promise((resolve) => setTimeout(resolve, Number(input.rows[0][1]) || 0))
  return { kind: 'dataframe', columns: ['thread'], rows: input.rows.map(() => [threadId]) }
}
`

/**
 * Writes a JS model (dataframe columns `a`, `b`) that answers its worker's thread id after sleeping `b` ms, ends its
 * worker thread for a = 99, and fails to load while a file `js/broken` exists; every load appends to `js/loads`.
 */
export async function writeCrashingModel(directory: string): Promise<string> {
  await writeSumModel(directory, { signature: 'none' })
  await writeFile(path.join(directory, 'js', 'model.mjs'), CRASHING_MODEL_SOURCE)
  return directory
}

/**
 * Registers one version of `name` per entry through the SDK: a sum model with that offset, or a model whose module
 * cannot load (`'broken'`). Model folders are written below `root`.
 */
export async function registerSumModelVersions(
  client: CairnClient,
  options: { root: string; name: string; versions: readonly (number | 'broken')[] },
): Promise<void> {
  for (const [index, version] of options.versions.entries()) {
    const dir = path.join(options.root, `${options.name}-${index}`)
    await writeSumModel(dir, { offset: version === 'broken' ? 0 : version, signature: 'none' })
    if (version === 'broken')
      await writeFile(path.join(dir, 'js', 'model.mjs'), "throw new Error('broken')\n")
    await logModel(client, {
      name: 'model',
      model: { flavor: 'js', source: path.join(dir, 'js'), entry: 'model.mjs' },
      registeredModelName: options.name,
    })
  }
}
