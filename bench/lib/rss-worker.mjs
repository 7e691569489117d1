import { readdirSync, readFileSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'

const intervalMs = workerData?.intervalMs ?? 100
const roots = new Map()
let label = 'idle'
// stats[name][label]: maxima of the tree's VmRSS and its parts, of the root process's VmRSS, sample count
const stats = {}

const FIELDS = ['VmRSS', 'RssAnon', 'RssFile', 'RssShmem']

/** VmRSS and its parts (anonymous memory, file-backed pages such as a memory-mapped database, shared memory). */
function readRss(pid) {
  const rss = { VmRSS: 0, RssAnon: 0, RssFile: 0, RssShmem: 0 }
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8')
    for (const field of FIELDS) {
      const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)
      if (match) rss[field] = Number(match[1])
    }
  } catch {}
  return rss
}

function childrenOf(pid) {
  const children = []
  let tasks = []
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {
    return children
  }
  for (const task of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim()
      if (text) for (const child of text.split(/\s+/)) children.push(Number(child))
    } catch {}
  }
  return children
}

function treeRss(root) {
  const total = { VmRSS: 0, RssAnon: 0, RssFile: 0, RssShmem: 0 }
  const stack = [root]
  const seen = new Set()
  let rootRss = total
  while (stack.length > 0) {
    const pid = stack.pop()
    if (seen.has(pid)) continue
    seen.add(pid)
    const rss = readRss(pid)
    if (pid === root) rootRss = rss
    for (const field of FIELDS) total[field] += rss[field]
    stack.push(...childrenOf(pid))
  }
  return { total, rootRss, processes: seen.size }
}

function sample() {
  for (const [name, pid] of roots) {
    const { total, rootRss, processes } = treeRss(pid)
    stats[name] ??= {}
    stats[name][label] ??= {
      maxKb: 0,
      maxRootKb: 0,
      maxAnonKb: 0,
      maxFileKb: 0,
      maxShmemKb: 0,
      samples: 0,
      maxProcesses: 0,
    }
    const entry = stats[name][label]
    entry.maxKb = Math.max(entry.maxKb, total.VmRSS)
    entry.maxRootKb = Math.max(entry.maxRootKb, rootRss.VmRSS)
    entry.maxAnonKb = Math.max(entry.maxAnonKb, total.RssAnon)
    entry.maxFileKb = Math.max(entry.maxFileKb, total.RssFile)
    entry.maxShmemKb = Math.max(entry.maxShmemKb, total.RssShmem)
    entry.maxProcesses = Math.max(entry.maxProcesses, processes)
    entry.samples += 1
  }
}

const timer = setInterval(sample, intervalMs)

parentPort.on('message', (message) => {
  if (message.type === 'track') roots.set(message.name, message.pid)
  else if (message.type === 'untrack') roots.delete(message.name)
  else if (message.type === 'label') {
    sample()
    label = message.label
    sample()
  } else if (message.type === 'report') {
    sample()
    parentPort.postMessage({ type: 'report', id: message.id, stats: structuredClone(stats) })
  } else if (message.type === 'stop') {
    clearInterval(timer)
    parentPort.close()
  }
})
