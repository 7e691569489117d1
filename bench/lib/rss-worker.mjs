import { readdirSync, readFileSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'

const intervalMs = workerData?.intervalMs ?? 100
const roots = new Map()
let label = 'idle'
// stats[name][label] = { maxKb, maxRootKb, samples, lastKb }
const stats = {}

function readRssKb(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = /VmRSS:\s+(\d+) kB/.exec(text)
    return match ? Number(match[1]) : 0
  } catch {
    return 0
  }
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

function treeRssKb(root) {
  let total = 0
  const stack = [root]
  const seen = new Set()
  while (stack.length > 0) {
    const pid = stack.pop()
    if (seen.has(pid)) continue
    seen.add(pid)
    total += readRssKb(pid)
    stack.push(...childrenOf(pid))
  }
  return { total, processes: seen.size }
}

function sample() {
  for (const [name, pid] of roots) {
    const rootKb = readRssKb(pid)
    const { total, processes } = treeRssKb(pid)
    stats[name] ??= {}
    const entry = (stats[name][label] ??= { maxKb: 0, maxRootKb: 0, samples: 0, maxProcesses: 0 })
    entry.maxKb = Math.max(entry.maxKb, total)
    entry.maxRootKb = Math.max(entry.maxRootKb, rootKb)
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
