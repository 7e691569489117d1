import { parseSearchFilter } from '@cairn/core'
import type { KeySets } from './run-table.js'

const RUN_ATTRIBUTES = ['run_name', 'status', 'start_time', 'end_time', 'user_id', 'run_id', 'artifact_uri']
const DATASET_FIELDS = ['name', 'digest', 'context']
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The identifier being typed at `cursor`: its start offset and text. */
export function tokenAt(text: string, cursor: number): { start: number; word: string } {
  let start = cursor
  while (start > 0 && !/[\s()=<>!,]/.test(text[start - 1]!)) start--
  return { start, word: text.slice(start, cursor) }
}

/** A search-grammar identifier for a key: `metrics.loss`, or backquoted when the key needs it. */
export function identifierFor(prefix: string, key: string): string {
  return PLAIN_KEY.test(key) ? `${prefix}.${key}` : `${prefix}.\`${key}\``
}

/** Every identifier the filter box can complete, for these runs' keys. */
export function filterIdentifiers(keys: KeySets): string[] {
  return [
    ...keys.metrics.map((key) => identifierFor('metrics', key)),
    ...keys.params.map((key) => identifierFor('params', key)),
    ...keys.tags.map((key) => identifierFor('tags', key)),
    ...RUN_ATTRIBUTES.map((key) => `attributes.${key}`),
    ...DATASET_FIELDS.map((key) => `datasets.${key}`),
  ]
}

/** Up to `limit` completions of the word at the cursor (prefix matches first, then substring ones). */
export function suggest(identifiers: readonly string[], word: string, limit = 12): string[] {
  if (word.length === 0 || /^['"\d-]/.test(word)) return []
  const lower = word.toLowerCase()
  const prefixed: string[] = []
  const containing: string[] = []
  for (const identifier of identifiers) {
    const candidate = identifier.toLowerCase()
    if (candidate === lower) continue
    if (candidate.startsWith(lower)) prefixed.push(identifier)
    else if (candidate.includes(lower)) containing.push(identifier)
  }
  return [...prefixed, ...containing].slice(0, limit)
}

/** Replaces the word at the cursor with `identifier`; answers the new text and cursor. */
export function applySuggestion(
  text: string,
  cursor: number,
  identifier: string,
): { text: string; cursor: number } {
  const { start } = tokenAt(text, cursor)
  const before = text.slice(0, start)
  const after = text.slice(cursor)
  const inserted = `${identifier} `
  return {
    text: before + inserted + after.replace(/^\S*/, '').replace(/^ /, ''),
    cursor: start + inserted.length,
  }
}

/** The grammar's complaint about a filter (the same message the server gives), or undefined when it parses. */
export function filterProblem(filter: string): string | undefined {
  if (filter.trim() === '') return undefined
  try {
    parseSearchFilter(filter, 'runs')
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}
