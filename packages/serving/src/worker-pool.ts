import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { type ErrorCode, HTTP_STATUS_BY_ERROR_CODE, MlflowError } from '@cairn/core'
import type { LoadedModel, MlModel, ModelInput, ModelOutput, ModelParams } from '@cairn/models'
import type { WorkerError, WorkerReply, WorkerRequest } from './worker-protocol.js'

function toError(error: WorkerError): Error {
  if (error.code && error.code in HTTP_STATUS_BY_ERROR_CODE) {
    return new MlflowError(error.code as ErrorCode, error.message)
  }
  return new Error(error.message)
}

/** The compiled worker script; from the TypeScript sources (tests), the built copy in `dist/`. */
function workerScript(): URL {
  const beside = new URL('./predict-worker.js', import.meta.url)
  if (existsSync(fileURLToPath(beside))) return beside
  return new URL('../dist/predict-worker.js', import.meta.url)
}

/** What a worker reports once its model is loaded. */
type ModelTraits = Omit<Extract<WorkerReply, { type: 'ready' }>, 'type'>

const RETRY_FIRST_DELAY_MS = 500
const RETRY_MAX_DELAY_MS = 30_000

interface Call {
  resolve(output: ModelOutput): void
  reject(error: Error): void
}

class PredictWorker {
  readonly calls = new Map<number, Call>()
  readonly worker: Worker
  readonly ready: Promise<ModelTraits>
  loaded = false
  exited = false

  constructor(
    options: Pick<WorkerModelOptions, 'directory' | 'env'>,
    readonly onExit: (worker: PredictWorker, code: number) => void,
  ) {
    this.worker = new Worker(workerScript(), {
      workerData: { directory: options.directory },
      ...(options.env ? { env: options.env } : {}),
    })
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('error', reject)
      this.worker.once('exit', (code) =>
        reject(new Error(`model worker exited with code ${code} while loading`)),
      )
      this.worker.on('message', (message: WorkerReply) => {
        switch (message.type) {
          case 'ready':
            this.loaded = true
            resolve(message)
            return
          case 'failed':
            reject(toError(message.error))
            return
          case 'output':
            this.calls.get(message.id)?.resolve(message.output)
            this.calls.delete(message.id)
            return
          case 'error':
            this.calls.get(message.id)?.reject(toError(message.error))
            this.calls.delete(message.id)
            return
        }
      })
    })
    this.worker.on('error', (error) => process.stderr.write(`model worker failed: ${error.message}\n`))
    this.worker.on('exit', (code) => {
      this.exited = true
      for (const call of this.calls.values()) {
        call.reject(new MlflowError('INTERNAL_ERROR', `The model worker stopped (exit code ${code})`))
      }
      this.calls.clear()
      this.onExit(this, code)
    })
  }

  send(request: WorkerRequest): void {
    this.worker.postMessage(request)
  }
}

/** Options of {@link loadModelInWorkers}. */
export interface WorkerModelOptions {
  /** The model directory (the folder holding `MLmodel`); each worker loads it on its own. */
  readonly directory: string
  readonly metadata: MlModel
  /** How many worker threads. */
  readonly workers: number
  /** The workers' environment (default: a copy of this process's). */
  readonly env?: NodeJS.ProcessEnv
}

/**
 * Loads a model in `workers` worker threads and answers a {@link LoadedModel} that spreads predictions across them
 * (fewest calls in flight first), so CPU-bound models use every core while the main thread keeps
 * handling HTTP. A worker that dies is replaced; the calls it held fail.
 */
export async function loadModelInWorkers(options: WorkerModelOptions): Promise<LoadedModel> {
  let closing = false
  let nextId = 0
  const pool: PredictWorker[] = []
  // A worker that dies after loading is replaced at once; one that cannot load is retried later and later, so a
  // model that stopped loading (files gone, a dependency failing) does not spin up threads in a tight loop.
  const retryDelays = new Map<number, number>()
  const restarts = new Set<NodeJS.Timeout>()
  const start = (index: number) => {
    const replacement = new PredictWorker(options, onExit)
    pool[index] = replacement
    replacement.ready.then(
      () => retryDelays.delete(index),
      (error: unknown) => {
        process.stderr.write(`could not restart a model worker: ${String(error)}\n`)
      },
    )
  }
  const onExit = (worker: PredictWorker) => {
    const index = pool.indexOf(worker)
    if (closing || index < 0) return
    if (worker.loaded) {
      retryDelays.delete(index)
      start(index)
      return
    }
    const delay = Math.min(2 * (retryDelays.get(index) ?? RETRY_FIRST_DELAY_MS / 2), RETRY_MAX_DELAY_MS)
    retryDelays.set(index, delay)
    const timer = setTimeout(() => {
      restarts.delete(timer)
      if (!closing) start(index)
    }, delay)
    timer.unref()
    restarts.add(timer)
  }
  for (let index = 0; index < options.workers; index++) pool.push(new PredictWorker(options, onExit))
  let first: ModelTraits
  try {
    ;[first] = (await Promise.all(pool.map((worker) => worker.ready))) as [typeof first]
  } catch (error) {
    closing = true
    await Promise.all(pool.map((worker) => worker.worker.terminate()))
    throw error
  }
  return {
    metadata: options.metadata,
    flavor: first.flavor,
    rowBatchable: first.rowBatchable,
    tensorRowBatchable: first.tensorRowBatchable,
    predict(input: ModelInput, params?: ModelParams): Promise<ModelOutput> {
      let chosen: PredictWorker | undefined
      // Loaded workers first; a replacement still loading queues calls only when no loaded worker is left.
      for (const worker of pool) {
        if (worker.exited) continue
        if (
          !chosen ||
          (worker.loaded && !chosen.loaded) ||
          (worker.loaded === chosen.loaded && worker.calls.size < chosen.calls.size)
        )
          chosen = worker
      }
      if (!chosen) {
        return Promise.reject(new MlflowError('TEMPORARILY_UNAVAILABLE', 'No model worker is running'))
      }
      const target = chosen
      const id = nextId++
      return new Promise((resolve, reject) => {
        target.calls.set(id, { resolve, reject })
        target.send({ type: 'predict', id, input, params })
      })
    },
    async close(): Promise<void> {
      closing = true
      for (const timer of restarts) clearTimeout(timer)
      await Promise.all(
        pool.map(async (worker) => {
          if (worker.exited) return
          const exited = new Promise((resolve) => worker.worker.once('exit', resolve))
          worker.send({ type: 'close' })
          const timer = setTimeout(() => void worker.worker.terminate(), 5_000)
          await exited
          clearTimeout(timer)
        }),
      )
    },
  }
}
