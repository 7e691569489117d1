/*
 * JSON with exact 64-bit integers. MLflow writes int64 fields (metric steps and timestamps) as JSON
 * numbers, and `JSON.parse` rounds every integer beyond ±2^53 to the nearest double. Node 20 has no
 * access to a number's source text, so integer literals that would lose precision are found by a
 * scan of the text first, and only when a cheap test says the text may hold one.
 */

type PathPart = string | number

/** An integer literal of the text, quoted before `JSON.parse` and turned into a `bigint` after it. */
interface QuotedInteger {
  path: PathPart[]
  digits: string
}

/** A run of 16+ digits that is not part of a fraction or an exponent: perhaps an unsafe integer. */
const UNSAFE_INTEGER_HINT = /(?<![\d.])\d{16,}(?![\d.eE])/
const NUMBER_RUN = /[-+.\deE]+/y
/** A well-formed JSON integer literal long enough to be unsafe (no leading zero, so quoting it cannot turn bad JSON into good). */
const LONG_INTEGER = /^-?[1-9]\d{15,}$/

/**
 * `JSON.parse`, except that integer literals beyond ±(2^53 − 1) come back as exact `bigint`s instead
 * of rounded numbers. Texts without such literals cost one regular-expression test more than
 * `JSON.parse`. Throws the same `SyntaxError` as `JSON.parse` for malformed text.
 *
 * A consumer of a double field may receive a `bigint` where the writer spelled a large double as an
 * integer (`JSON.stringify(1e20)` is `100000000000000000000`); `Number(value)` gives the double back.
 *
 * @example
 * parseExactJson('{"step":9007199254740993}') // { step: 9007199254740993n }
 */
export function parseExactJson(text: string): unknown {
  if (!UNSAFE_INTEGER_HINT.test(text)) return JSON.parse(text)
  const { source, integers } = quoteUnsafeIntegers(text)
  if (integers.length === 0) return JSON.parse(text)
  let parsed: unknown
  try {
    parsed = JSON.parse(source)
  } catch {
    // Report the error at its position in the text as written.
    return JSON.parse(text)
  }
  const [first] = integers
  if (first!.path.length === 0) return BigInt(first!.digits)
  for (const integer of integers) restoreInteger(parsed, integer)
  return parsed
}

/** Index of the quote closing the string that opens at `start` (the text's length when unterminated). */
function stringEnd(text: string, start: number): number {
  let index = text.indexOf('"', start + 1)
  while (index !== -1) {
    let backslashes = 0
    while (text.charCodeAt(index - 1 - backslashes) === 0x5c) backslashes++
    if (backslashes % 2 === 0) return index
    index = text.indexOf('"', index + 1)
  }
  return text.length
}

function decodeKey(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end)
  if (!raw.includes('\\')) return raw
  try {
    return JSON.parse(text.slice(start, end + 1)) as string
  } catch {
    return raw
  }
}

/**
 * Rewrites unsafe integer literals outside strings as strings of their digits, and records where in
 * the document each one sits (object keys and array indices from the root).
 */
function quoteUnsafeIntegers(text: string): { source: string; integers: QuotedInteger[] } {
  const path: PathPart[] = []
  const inObject: boolean[] = []
  const integers: QuotedInteger[] = []
  let expectingKey = false
  let source = ''
  let copied = 0
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code === 0x22) {
      const end = stringEnd(text, index)
      if (expectingKey) {
        path[path.length - 1] = decodeKey(text, index, end)
        expectingKey = false
      }
      index = end
    } else if (code === 0x7b) {
      inObject.push(true)
      path.push('')
      expectingKey = true
    } else if (code === 0x5b) {
      inObject.push(false)
      path.push(0)
    } else if (code === 0x7d || code === 0x5d) {
      inObject.pop()
      path.pop()
      expectingKey = false
    } else if (code === 0x2c) {
      const depth = path.length - 1
      if (depth < 0) continue
      if (inObject[depth]) expectingKey = true
      else path[depth] = (path[depth] as number) + 1
    } else if (code === 0x2d || (code >= 0x30 && code <= 0x39)) {
      NUMBER_RUN.lastIndex = index
      const run = NUMBER_RUN.exec(text)![0]
      if (LONG_INTEGER.test(run) && !Number.isSafeInteger(Number(run))) {
        source += `${text.slice(copied, index)}"${run}"`
        copied = index + run.length
        integers.push({ path: path.slice(), digits: run })
      }
      index += run.length - 1
    }
  }
  return { source: source + text.slice(copied), integers }
}

/** A literal at the root is the whole (scalar) document: `parseExactJson` handles it. */
function restoreInteger(root: unknown, { path, digits }: QuotedInteger): void {
  let holder = root
  for (let index = 0; index < path.length - 1; index++) {
    if (holder === null || typeof holder !== 'object') return
    holder = (holder as Record<PathPart, unknown>)[path[index]!]
  }
  if (holder === null || typeof holder !== 'object') return
  const record = holder as Record<PathPart, unknown>
  const last = path[path.length - 1]!
  // With a duplicate key the last value is the one JSON.parse kept; it may not be this literal.
  if (Object.hasOwn(record, last) && record[last] === digits) record[last] = BigInt(digits)
}

/**
 * `JSON.stringify` that writes a `bigint` as a bare JSON integer (`JSON.stringify` throws on one).
 * Values without a `bigint` take `JSON.stringify`'s own path.
 *
 * @example
 * stringifyExactJson({ step: 9007199254740993n }) // '{"step":9007199254740993}'
 */
export function stringifyExactJson(value: unknown): string {
  try {
    return JSON.stringify(value)
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    return writeJson(value, '', new Set()) ?? 'null'
  }
}

function writeJson(input: unknown, key: string, ancestors: Set<object>): string | undefined {
  let value = input
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON(key: string): unknown }).toJSON(key)
  }
  if (typeof value === 'bigint') return value.toString()
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (ancestors.has(value)) throw new TypeError('Converting circular structure to JSON')
  ancestors.add(value)
  let text: string
  if (Array.isArray(value)) {
    text = `[${value.map((item, index) => writeJson(item, String(index), ancestors) ?? 'null').join(',')}]`
  } else {
    const members: string[] = []
    for (const [name, item] of Object.entries(value)) {
      const written = writeJson(item, name, ancestors)
      if (written !== undefined) members.push(`${JSON.stringify(name)}:${written}`)
    }
    text = `{${members.join(',')}}`
  }
  ancestors.delete(value)
  return text
}
