import { Worker } from 'node:worker_threads'

/**
 * Samples VmRSS of each tracked server's process tree every `intervalMs` from a worker thread, so a busy main
 * thread does not delay the samples. Keeps the maximum per server and per label (phase).
 */
export class RssSampler {
  #worker
  #nextId = 0
  #pending = new Map()

  constructor({ intervalMs = 100 } = {}) {
    this.#worker = new Worker(new URL('./rss-worker.mjs', import.meta.url), { workerData: { intervalMs } })
    this.#worker.on('message', (message) => {
      const resolve = this.#pending.get(message.id)
      this.#pending.delete(message.id)
      resolve?.(message.stats)
    })
    this.#worker.unref()
  }

  track(name, pid) {
    this.#worker.postMessage({ type: 'track', name, pid })
  }

  untrack(name) {
    this.#worker.postMessage({ type: 'untrack', name })
  }

  label(label) {
    this.#worker.postMessage({ type: 'label', label })
  }

  /** Resolves with `{ [server]: { [label]: { maxKb, maxRootKb, samples, maxProcesses } } }`. */
  report() {
    const id = this.#nextId++
    return new Promise((resolve) => {
      this.#pending.set(id, resolve)
      this.#worker.postMessage({ type: 'report', id })
    })
  }

  async stop() {
    const stats = await this.report()
    this.#worker.postMessage({ type: 'stop' })
    return stats
  }
}
