// What Linux's /proc says about the processes of a server under test: its children, its process group, which
// process holds which accepted TCP connection, and CPU time. Every read tolerates a process that exits meanwhile.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'

export const HAS_PROC = existsSync('/proc/self/stat') && existsSync('/proc/net/tcp')

export interface ProcessInfo {
  pid: number
  ppid: number
  pgrp: number
  /** One letter: R running, S sleeping, Z zombie, … */
  state: string
  /** User plus system CPU time in clock ticks. */
  cpuTicks: number
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** `undefined` once the process is gone. */
export function findProcess(pid: number): ProcessInfo | undefined {
  const stat = readText(`/proc/${pid}/stat`)
  if (stat === undefined) return undefined
  // The command name in parentheses may hold spaces and parentheses itself: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return {
    pid,
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
  }
}

/** Every process that is still running (zombies, dead but not yet reaped, count as gone). */
export function listProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const info = findProcess(Number(entry))
    if (info && info.state !== 'Z' && info.state !== 'X') found.push(info)
  }
  return found
}

export function isAlive(pid: number): boolean {
  const info = findProcess(pid)
  return info !== undefined && info.state !== 'Z' && info.state !== 'X'
}

/** The command line of a process, or '' once it is gone. */
export function commandLine(pid: number): string {
  return (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim()
}

/** Socket inodes of the TCP connections accepted on `port` (listening sockets and TIME_WAIT left out). */
export function acceptedConnections(port: number): Set<number> {
  const inodes = new Set<number>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (readText(table) ?? '').split('\n').slice(1)
    for (const line of lines) {
      const columns = line.trim().split(/\s+/)
      const local = columns[1]
      const state = columns[3]
      const inode = Number(columns[9])
      if (!local || !state || !inode || state === '0A') continue
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(inode)
    }
  }
  return inodes
}

/** Socket inodes among the open file descriptors of `pid`. */
export function socketInodes(pid: number): Set<number> {
  const inodes = new Set<number>()
  let descriptors: string[]
  try {
    descriptors = readdirSync(`/proc/${pid}/fd`)
  } catch {
    return inodes
  }
  for (const descriptor of descriptors) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${descriptor}`))
      if (match) inodes.add(Number(match[1]))
    } catch {}
  }
  return inodes
}

/** Resident set size of a process in bytes (`VmRSS`), `undefined` once it is gone. */
export function residentSetBytes(pid: number): number | undefined {
  const status = readText(`/proc/${pid}/status`)
  const match = status ? /^VmRSS:\s+(\d+)\s+kB/m.exec(status) : null
  return match ? Number(match[1]) * 1024 : undefined
}

/** Samples a process's RSS every `intervalMs` until stopped; answers the peak in bytes. */
export function sampleResidentSet(pid: number, intervalMs = 100): { stop(): number } {
  let peak = residentSetBytes(pid) ?? 0
  const timer = setInterval(() => {
    peak = Math.max(peak, residentSetBytes(pid) ?? 0)
  }, intervalMs)
  return {
    stop() {
      clearInterval(timer)
      peak = Math.max(peak, residentSetBytes(pid) ?? 0)
      return peak
    },
  }
}
