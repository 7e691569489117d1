import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

/** What one worker job computes: the non-empty buckets of one run's metric over [start, end]. */
export interface BucketJob {
  filename: string
  runPk: number
  metricKey: string
  start: number
  end: number
  width: number
}

/** Rows [bucket, count, min, max, minStep, maxStep]; steps are bigint when outside the safe integer range. */
export type BucketRows = unknown[][]

/**
 * The worker's code (plain CommonJS, so it runs the same from `src/` under Vitest and from `dist/`). For each job
 * it opens the database read-only (WAL: it reads the last committed state, beside the store's own connection),
 * then walks the buckets: one seek for the first step with a point, one aggregate over the bucket's index range,
 * one backwards seek for its last step. Folding first/last step into the aggregate would decode every row's step,
 * which measures slower than two seeks per bucket.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.betterSqlite3)
const NEXT = 'SELECT step FROM metrics WHERE run_pk = ? AND key = ? AND step >= ? AND step <= ? AND is_nan = 0 ORDER BY step LIMIT 1'
const BUCKET = 'SELECT count(*), min(value), max(value) FROM metrics WHERE run_pk = ? AND key = ? AND step >= ? AND step < ? AND is_nan = 0'
const LAST = 'SELECT step FROM metrics WHERE run_pk = ? AND key = ? AND step >= ? AND step < ? AND is_nan = 0 ORDER BY step DESC LIMIT 1'
const exact = (value) => typeof value === 'bigint' && value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value
function buckets(job) {
  const db = new Database(job.filename, { readonly: true, fileMustExist: true })
  try {
    db.defaultSafeIntegers(true)
    db.pragma('cache_size = -16384')
    const next = db.prepare(NEXT).raw()
    const bucket = db.prepare(BUCKET).raw()
    const last = db.prepare(LAST).raw()
    const rows = []
    let position = job.start
    while (position <= job.end) {
      const found = next.get(job.runPk, job.metricKey, position, job.end)
      if (!found) break
      const index = Math.floor((Number(found[0]) - job.start) / job.width)
      const from = job.start + index * job.width
      const row = bucket.get(job.runPk, job.metricKey, from, from + job.width)
      const lastStep = last.get(job.runPk, job.metricKey, from, from + job.width)
      rows.push([index, Number(row[0]), row[1], row[2], exact(found[0]), exact(lastStep[0])])
      position = from + job.width
    }
    return rows
  } finally {
    db.close()
  }
}
parentPort.on('message', ({ id, job }) => {
  try {
    parentPort.postMessage({ id, rows: buckets(job) })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) })
  }
})
`

interface Pending {
  resolve(rows: BucketRows): void
  reject(error: Error): void
}

interface PooledWorker {
  worker: Worker
  busy: number
}

/**
 * A small pool of worker threads computing SQLite metric buckets, so the buckets of several runs (one request per
 * run from the UI, or several runs in one request) are read on several cores at once instead of one after another
 * on the store's single connection. Threads are created on first use, never keep the process alive, and one that
 * fails is replaced.
 */
class BucketWorkerPool {
  private readonly workers: PooledWorker[] = []
  private readonly pending = new Map<number, Pending & { owner: PooledWorker }>()
  private nextId = 0
  private readonly betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3')

  constructor(private readonly size: number) {}

  run(job: BucketJob): Promise<BucketRows> {
    const owner = this.pick()
    const id = this.nextId++
    owner.busy++
    if (owner.busy === 1) owner.worker.ref()
    return new Promise<BucketRows>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, owner })
      owner.worker.postMessage({ id, job })
    })
  }

  private pick(): PooledWorker {
    const idle = this.workers.find((entry) => entry.busy === 0)
    if (idle) return idle
    if (this.workers.length < this.size) return this.spawn()
    return this.workers.reduce((least, entry) => (entry.busy < least.busy ? entry : least))
  }

  private spawn(): PooledWorker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { betterSqlite3: this.betterSqlite3 },
    })
    const entry: PooledWorker = { worker, busy: 0 }
    worker.unref()
    worker.on('message', (message: { id: number; rows?: BucketRows; error?: string }) => {
      const waiting = this.pending.get(message.id)
      if (!waiting) return
      this.pending.delete(message.id)
      this.release(entry)
      if (message.error !== undefined) waiting.reject(new Error(message.error))
      else {
        completedJobs++
        waiting.resolve(message.rows ?? [])
      }
    })
    const fail = (error: Error) => {
      const index = this.workers.indexOf(entry)
      if (index !== -1) this.workers.splice(index, 1)
      for (const [id, waiting] of this.pending) {
        if (waiting.owner !== entry) continue
        this.pending.delete(id)
        waiting.reject(error)
      }
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`bucket worker exited with code ${code}`)))
    this.workers.push(entry)
    return entry
  }

  private release(entry: PooledWorker): void {
    entry.busy--
    if (entry.busy === 0) entry.worker.unref()
  }
}

let pool: BucketWorkerPool | undefined
let completedJobs = 0

/** How many jobs worker threads have answered in this process (tests check the threads really did the work). */
export function completedBucketJobs(): number {
  return completedJobs
}

/**
 * Threads for bucket reads: one per core but the main thread's, at least 1 and at most 4 (`CAIRN_BUCKET_THREADS`
 * overrides; 0 reads on the store's connection). On 2 cores that is one thread: runs are still read one after
 * another, but off the main thread, so the store's connection keeps serving other requests meanwhile. Measured on
 * a loaded 2-core machine, two threads made the first line of a 5-run chart later (the runs split the one free
 * core) without making the last one earlier.
 */
export function bucketThreadCount(): number {
  const configured = process.env.CAIRN_BUCKET_THREADS
  if (configured !== undefined && /^\d+$/.test(configured)) return Math.min(16, Number(configured))
  return Math.max(1, Math.min(4, availableParallelism() - 1))
}

/** Computes one run's buckets on a worker thread. */
export function computeBucketsInWorker(job: BucketJob): Promise<BucketRows> {
  pool ??= new BucketWorkerPool(Math.max(1, bucketThreadCount()))
  return pool.run(job)
}
