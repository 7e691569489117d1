#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by file, and inclusive time of
// the heaviest functions. Usage: node bench/analyze-profile.mjs <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs'

const [file, topArg] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: node bench/analyze-profile.mjs <file.cpuprofile> [top]\n')
  process.exit(2)
}
const top = Number(topArg ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8'))
const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
const parent = new Map()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)

// Self time per node from the sample timeline.
const selfUs = new Map()
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
}
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0)

const short = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'node_modules/')
    .replace(/^.*\/packages\//, 'packages/')
const label = (frame) =>
  `${frame.functionName || '(anonymous)'} ${short(frame.url) || '(native)'}:${frame.lineNumber + 1}`

const byFunction = new Map()
const byFile = new Map()
const inclusive = new Map()
for (const [id, us] of selfUs) {
  const frame = nodes.get(id).callFrame
  const name = label(frame)
  byFunction.set(name, (byFunction.get(name) ?? 0) + us)
  const fileName = short(frame.url) || `(${frame.functionName || 'native'})`
  byFile.set(fileName, (byFile.get(fileName) ?? 0) + us)
  // Inclusive: charge each distinct function on the stack once.
  const seen = new Set()
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const key = label(nodes.get(at).callFrame)
    if (seen.has(key)) continue
    seen.add(key)
    inclusive.set(key, (inclusive.get(key) ?? 0) + us)
  }
}

const print = (title, map) => {
  process.stdout.write(`\n## ${title}\n`)
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(
      `${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}\n`,
    )
  }
}
process.stdout.write(`profile ${file}: ${(totalUs / 1e6).toFixed(1)} s sampled\n`)
print('self time by file', byFile)
print('self time by function', byFunction)
print('inclusive time by function', inclusive)
