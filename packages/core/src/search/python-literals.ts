/**
 * The few Python literal rules MLflow's search code leaks to its clients: IN-list items are read
 * with `ast.literal_eval`, integers with `int()`, and error messages embed Python reprs.
 */

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
}

const HEX_ESCAPE_LENGTHS: Record<string, number> = { x: 2, u: 4, U: 8 }

function isHex(text: string): boolean {
  return text.length > 0 && [...text].every((char) => /[0-9a-fA-F]/.test(char))
}

/**
 * Evaluates one or more adjacent Python string literals (`'a'`, `"b"`, `'it''s'` = `'it' 's'`) with
 * Python's escape sequences, as `ast.literal_eval` reads the items of an IN list. Returns `undefined`
 * for text Python would reject. String prefixes (`r''`, `b''`) and `\N{name}` are not supported.
 */
export function evaluatePythonStrings(raw: string): string | undefined {
  let result = ''
  let i = 0
  while (i < raw.length) {
    const quote = raw[i]
    if (quote !== "'" && quote !== '"') return undefined
    i++
    let closed = false
    while (i < raw.length) {
      const char = raw[i] as string
      if (char === quote) {
        closed = true
        i++
        break
      }
      if (char !== '\\') {
        result += char
        i++
        continue
      }
      const escaped = raw[i + 1]
      if (escaped === undefined) return undefined
      i += 2
      if (escaped === '\n') continue
      if (escaped === '\r') {
        if (raw[i] === '\n') i++
        continue
      }
      const simple = SIMPLE_ESCAPES[escaped]
      if (simple !== undefined) {
        result += simple
        continue
      }
      if (escaped >= '0' && escaped <= '7') {
        let digits = escaped
        while (
          digits.length < 3 &&
          raw[i] !== undefined &&
          (raw[i] as string) >= '0' &&
          (raw[i] as string) <= '7'
        ) {
          digits += raw[i]
          i++
        }
        result += String.fromCodePoint(Number.parseInt(digits, 8))
        continue
      }
      const hexLength = HEX_ESCAPE_LENGTHS[escaped]
      if (hexLength !== undefined) {
        const digits = raw.slice(i, i + hexLength)
        if (digits.length !== hexLength || !isHex(digits)) return undefined
        const codePoint = Number.parseInt(digits, 16)
        if (codePoint > 0x10ffff) return undefined
        result += String.fromCodePoint(codePoint)
        i += hexLength
        continue
      }
      if (escaped === 'N') return undefined
      result += `\\${escaped}`
    }
    if (!closed) return undefined
  }
  return result
}

/** Python's `int(text)` for a string: surrounding whitespace, a sign, and single underscores between digits. */
export function parsePythonInt(text: string): bigint | undefined {
  const match = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(text)
  if (!match) return undefined
  const digits = (match[2] as string).replaceAll('_', '')
  return match[1] === '-' ? -BigInt(digits) : BigInt(digits)
}

/** Python's `repr()` of a string. */
export function pythonRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'"
  let out = quote
  for (const char of value) {
    const code = char.codePointAt(0) as number
    if (char === '\\' || char === quote) out += `\\${char}`
    else if (char === '\n') out += '\\n'
    else if (char === '\r') out += '\\r'
    else if (char === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else out += char
  }
  return out + quote
}

/** Python's `repr()` of a `bytes` value, as MLflow prints an undecodable page token. */
export function pythonBytesRepr(bytes: Uint8Array): string {
  const hasSingle = bytes.includes(0x27)
  const quote = hasSingle && !bytes.includes(0x22) ? '"' : "'"
  let out = `b${quote}`
  for (const byte of bytes) {
    const char = String.fromCharCode(byte)
    if (char === '\\' || char === quote) out += `\\${char}`
    else if (char === '\n') out += '\\n'
    else if (char === '\r') out += '\\r'
    else if (char === '\t') out += '\\t'
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${byte.toString(16).padStart(2, '0')}`
    else out += char
  }
  return out + quote
}

/** `['a', 'b']` */
export function pythonList(values: readonly string[]): string {
  return `[${values.map(pythonRepr).join(', ')}]`
}

/** `{'a', 'b'}` (in the given order; Python's own set order varies between runs). */
export function pythonSet(values: readonly string[]): string {
  return `{${values.map(pythonRepr).join(', ')}}`
}

/** `('a', 'b')` */
export function pythonTuple(values: readonly string[]): string {
  return values.length === 1
    ? `(${pythonRepr(values[0] as string)},)`
    : `(${values.map(pythonRepr).join(', ')})`
}
