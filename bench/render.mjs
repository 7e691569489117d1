#!/usr/bin/env node
// Prints the Markdown table of a raw results file again: node bench/render.mjs bench/results/<timestamp>.json
import { readFileSync } from 'node:fs'
import { renderTable, summarize } from './lib/report.mjs'

const file = process.argv[2]
if (!file) {
  process.stderr.write('usage: node bench/render.mjs <results.json>\n')
  process.exit(2)
}
const result = JSON.parse(readFileSync(file, 'utf8'))
result.summary = summarize(result)
process.stdout.write(`${renderTable(result)}\n`)
