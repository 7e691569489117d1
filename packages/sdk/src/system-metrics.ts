import { readFile, statfs } from 'node:fs/promises'
import { cpus, freemem, totalmem } from 'node:os'
import { parse } from 'node:path'

/** Options of a `SystemMetricsMonitor`. */
export interface SystemMetricsMonitorOptions {
  /** Seconds between samples. Default 10, as MLflow. */
  intervalSeconds?: number
  /** Samples averaged into one logged point. Default 1. */
  samplesBeforeLogging?: number
  /** Inserted into the metric names (`system/<nodeId>/…`) to tell machines apart. */
  nodeId?: string
  /** Directory whose file system is measured. Default the root of the working directory. */
  diskPath?: string
  /** Receives each aggregated set of metrics (full names, `system/` prefix included) and its step (0, 1, …). */
  onSample: (metrics: Record<string, number>, step: number) => void
}

interface CpuTimes {
  idle: number
  total: number
}

interface NetworkBytes {
  received: number
  transmitted: number
}

/**
 * Samples system metrics with MLflow's names (`system/cpu_utilization_percentage`,
 * `system/system_memory_usage_megabytes`, `system/system_memory_usage_percentage`,
 * `system/disk_usage_percentage`, `system/disk_usage_megabytes`, `system/disk_available_megabytes`,
 * `system/network_receive_megabytes`, `system/network_transmit_megabytes`) every interval.
 * Network counters are Linux-only (`/proc/net/dev`) and count from the monitor's start.
 *
 * @example
 * const monitor = new SystemMetricsMonitor({ onSample: (metrics, step) => run.logMetrics(metrics, { step }) })
 * monitor.start()
 * // …
 * await monitor.stop()
 */
export class SystemMetricsMonitor {
  private readonly intervalMs: number
  private readonly samplesBeforeLogging: number
  private readonly prefix: string
  private readonly diskPath: string
  private readonly onSample: SystemMetricsMonitorOptions['onSample']
  private timer: ReturnType<typeof setInterval> | undefined
  private lastCpu: CpuTimes = readCpuTimes()
  private initialNetwork: Promise<NetworkBytes | undefined> = readNetworkBytes()
  private samples: Record<string, number>[] = []
  private step = 0
  private sampling: Promise<void> = Promise.resolve()

  constructor(options: SystemMetricsMonitorOptions) {
    this.intervalMs = Math.max(0.01, options.intervalSeconds ?? 10) * 1000
    this.samplesBeforeLogging = Math.max(1, Math.floor(options.samplesBeforeLogging ?? 1))
    this.prefix = options.nodeId ? `system/${options.nodeId}/` : 'system/'
    this.diskPath = options.diskPath ?? parse(process.cwd()).root
    this.onSample = options.onSample
  }

  /** Starts sampling; the first point comes after one interval. */
  start(): void {
    if (this.timer !== undefined) return
    this.lastCpu = readCpuTimes()
    this.initialNetwork = readNetworkBytes()
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample())
    }, this.intervalMs)
    this.timer.unref?.()
  }

  /** Stops sampling and waits for a sample in progress to be handed over. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    await this.sampling
  }

  /** Takes one sample now (the CPU figure covers the time since the previous sample). */
  async collect(): Promise<Record<string, number>> {
    const metrics: Record<string, number> = {}
    const cpu = readCpuTimes()
    const total = cpu.total - this.lastCpu.total
    metrics.cpu_utilization_percentage = total > 0 ? (1 - (cpu.idle - this.lastCpu.idle) / total) * 100 : 0
    this.lastCpu = cpu
    const memoryTotal = totalmem()
    const memoryUsed = memoryTotal - freemem()
    metrics.system_memory_usage_megabytes = memoryUsed / 1e6
    metrics.system_memory_usage_percentage = (memoryUsed / memoryTotal) * 100
    try {
      const disk = await statfs(this.diskPath)
      const used = (disk.blocks - disk.bfree) * disk.bsize
      const available = disk.bavail * disk.bsize
      metrics.disk_usage_percentage = used + available > 0 ? (used / (used + available)) * 100 : 0
      metrics.disk_usage_megabytes = used / 1e6
      metrics.disk_available_megabytes = available / 1e6
    } catch {
      // statfs is missing on some platforms; the other metrics still count.
    }
    const [initial, network] = await Promise.all([this.initialNetwork, readNetworkBytes()])
    if (initial && network) {
      metrics.network_receive_megabytes = (network.received - initial.received) / 1e6
      metrics.network_transmit_megabytes = (network.transmitted - initial.transmitted) / 1e6
    }
    return metrics
  }

  private async sample(): Promise<void> {
    if (this.timer === undefined) return
    try {
      this.samples.push(await this.collect())
    } catch {
      return
    }
    if (this.samples.length < this.samplesBeforeLogging) return
    const aggregated: Record<string, number> = {}
    for (const key of Object.keys(this.samples.at(-1)!)) {
      const values = this.samples.map((sample) => sample[key]).filter((value) => value !== undefined)
      // Network counters are cumulative: the latest one stands; the others are averaged like MLflow does.
      aggregated[this.prefix + key] = key.startsWith('network_')
        ? values.at(-1)!
        : Math.round((values.reduce((sum, value) => sum + value, 0) / values.length) * 10) / 10
    }
    this.samples = []
    this.onSample(aggregated, this.step++)
  }
}

function readCpuTimes(): CpuTimes {
  let idle = 0
  let total = 0
  for (const cpu of cpus()) {
    idle += cpu.times.idle
    total += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.idle + cpu.times.irq
  }
  return { idle, total }
}

async function readNetworkBytes(): Promise<NetworkBytes | undefined> {
  let text: string
  try {
    text = await readFile('/proc/net/dev', 'utf8')
  } catch {
    return undefined
  }
  let received = 0
  let transmitted = 0
  for (const line of text.split('\n').slice(2)) {
    const [, counters] = line.split(':')
    if (!counters) continue
    const fields = counters.trim().split(/\s+/).map(Number)
    received += fields[0] ?? 0
    transmitted += fields[8] ?? 0
  }
  return { received, transmitted }
}
