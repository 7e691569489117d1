export interface RepeatedDecoding {
  /** The text after the last round that decoded. */
  text: string
  /**
   * `stable`: one more round would change nothing; `malformed`: a round met an invalid escape (`text` is what came
   * before it); `exhausted`: still changing after `maxRounds`.
   */
  outcome: 'stable' | 'malformed' | 'exhausted'
}

/**
 * Percent-decodes `text` until it stops changing, so that `%252e%252e` is seen as `..` too. Path and URI checks
 * run on the result; each caller decides what a malformed or endlessly nested text means for it.
 */
export function decodeRepeatedly(
  text: string,
  options: { maxRounds?: number; plusAsSpace?: boolean } = {},
): RepeatedDecoding {
  const maxRounds = options.maxRounds ?? 10
  let current = text
  for (let round = 0; round < maxRounds; round++) {
    let decoded: string
    try {
      decoded = decodeURIComponent(options.plusAsSpace ? current.replaceAll('+', ' ') : current)
    } catch {
      return { text: current, outcome: 'malformed' }
    }
    if (decoded === current) return { text: current, outcome: 'stable' }
    current = decoded
  }
  return { text: current, outcome: 'exhausted' }
}
