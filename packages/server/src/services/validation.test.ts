import { MlflowError } from '@cairn/core'
import { describe, expect, it } from 'vitest'
import { resolveArtifactLocation } from './artifact-location.js'
import {
  parseExperimentId,
  validateBatchLimits,
  validateExperimentName,
  validateExperimentTag,
  validateKeyName,
  validateMetric,
  validateParam,
  validateParamKeysUnique,
  validateRunId,
  validateRunTag,
} from './validation.js'

function messageOf(call: () => unknown): string {
  try {
    call()
  } catch (error) {
    expect(error).toBeInstanceOf(MlflowError)
    expect((error as MlflowError).code).toBe('INVALID_PARAMETER_VALUE')
    return (error as MlflowError).message
  }
  throw new Error('expected an MlflowError')
}

const TRUNCATE = { truncateLongValues: true }
const REJECT = { truncateLongValues: false }

describe('key names', () => {
  it('accepts letters, digits, _ - . space : and /', () => {
    for (const key of ['a', 'a b', 'a/b', 'a.b-c_d', 'ns:key', 'ünïcödé', '数字']) validateKeyName(key, 'key')
  })

  it('rejects other characters with MLflow’s message', () => {
    expect(messageOf(() => validateKeyName('bad!key', 'metrics[1].name'))).toBe(
      'Invalid value "bad!key" for parameter \'metrics[1].name\' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).',
    )
  })

  it('rejects names that resolve to another path', () => {
    for (const key of ['a//b', 'a/', './a', '..', '../a', '/a', '', '.']) {
      expect(messageOf(() => validateKeyName(key, 'key'))).toContain('Names may be treated as files')
    }
    expect(messageOf(() => validateKeyName('a//b', 'key'))).toMatch(/would resolve to 'a\/b'$/)
  })
})

describe('metrics, params and tags', () => {
  it('rejects a negative timestamp with MLflow’s message', () => {
    const message = messageOf(() => validateMetric({ key: 'm', value: 1, timestamp: -1, step: 0 }, 0))
    expect(message).toBe(
      "Invalid value -1 for parameter 'metrics[0].timestamp' supplied: metric 'm' (value=1.0). Timestamp must be a nonnegative long (64-bit integer) ",
    )
  })

  it('accepts negative steps and a zero timestamp', () => {
    validateMetric({ key: 'm', value: Number.NaN, timestamp: 0, step: -5 })
  })

  it('limits metric keys to 250 characters', () => {
    validateMetric({ key: 'k'.repeat(250), value: 1, timestamp: 1, step: 0 })
    expect(messageOf(() => validateMetric({ key: 'k'.repeat(251), value: 1, timestamp: 1, step: 0 }))).toBe(
      "'Metric name' exceeds the maximum length of 250 characters",
    )
  })

  it('truncates long param values by default and rejects them when truncation is off', () => {
    expect(validateParam({ key: 'p', value: 'v'.repeat(6000) }, '', TRUNCATE).value).toHaveLength(6000)
    expect(validateParam({ key: 'p', value: 'v'.repeat(6001) }, '', TRUNCATE).value).toHaveLength(6000)
    expect(messageOf(() => validateParam({ key: 'p', value: 'v'.repeat(6001) }, '', REJECT))).toBe(
      "'Param value' exceeds the maximum length of 6000 characters",
    )
    expect(messageOf(() => validateParam({ key: 'k'.repeat(251), value: '' }, '', TRUNCATE))).toBe(
      "'Param key' exceeds the maximum length of 250 characters",
    )
  })

  it('truncates long run tag values to 8000 characters', () => {
    expect(validateRunTag({ key: 't', value: 'v'.repeat(8000) }, '', TRUNCATE).value).toHaveLength(8000)
    expect(validateRunTag({ key: 't', value: 'v'.repeat(8001) }, 'tags[3]', TRUNCATE).value).toHaveLength(
      8000,
    )
    expect(messageOf(() => validateRunTag({ key: 't', value: 'v'.repeat(8001) }, 'tags[3]', REJECT))).toBe(
      "'tags[3].value' exceeds the maximum length of 8000 characters",
    )
  })

  it('rejects duplicate param keys in a batch', () => {
    validateParamKeysUnique([
      { key: 'a', value: '1' },
      { key: 'b', value: '1' },
    ])
    expect(
      messageOf(() =>
        validateParamKeysUnique([
          { key: 'a', value: '1' },
          { key: 'a', value: '2' },
        ]),
      ),
    ).toBe(
      "Duplicate parameter keys have been submitted: ['a']. Please ensure the request contains only one param value per param key.",
    )
  })

  it('enforces the batch limits at and over each one', () => {
    validateBatchLimits({ metrics: 1000, params: 0, tags: 0 })
    validateBatchLimits({ metrics: 800, params: 100, tags: 100 })
    expect(messageOf(() => validateBatchLimits({ metrics: 1001, params: 0, tags: 0 }))).toBe(
      'A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again.',
    )
    expect(messageOf(() => validateBatchLimits({ metrics: 0, params: 101, tags: 0 }))).toContain(
      'at most 100 params',
    )
    expect(messageOf(() => validateBatchLimits({ metrics: 0, params: 0, tags: 101 }))).toContain(
      'at most 100 tags',
    )
    expect(messageOf(() => validateBatchLimits({ metrics: 900, params: 100, tags: 1 }))).toContain(
      'at most 1000 metrics, params, and tags. Got 1001',
    )
  })
})

describe('experiments', () => {
  it('requires a non-empty name of at most 500 characters', () => {
    validateExperimentName('n'.repeat(500))
    expect(messageOf(() => validateExperimentName(''))).toBe("Invalid experiment name: ''")
    expect(messageOf(() => validateExperimentName('n'.repeat(501)))).toBe(
      "'name' exceeds the maximum length of 500 characters",
    )
  })

  it('rejects (never truncates) experiment tags over their limits', () => {
    validateExperimentTag({ key: 'k'.repeat(250), value: 'v'.repeat(20000) })
    expect(messageOf(() => validateExperimentTag({ key: 'k'.repeat(251), value: '' }))).toBe(
      "'key' exceeds the maximum length of 250 characters",
    )
    expect(messageOf(() => validateExperimentTag({ key: 'k', value: 'v'.repeat(20001) }))).toBe(
      "'value' exceeds the maximum length of 20000 characters",
    )
  })

  it('parses integer experiment ids and rejects others', () => {
    expect(parseExperimentId('12')).toBe('12')
    expect(parseExperimentId(' 7 ')).toBe('7')
    expect(parseExperimentId('99999999999999')).toBeUndefined()
    expect(messageOf(() => parseExperimentId('abc'))).toBe(
      "Invalid experiment ID 'abc'. Experiment ID must be a valid integer.",
    )
    expect(messageOf(() => parseExperimentId("1' OR '1'='1"))).toContain('must be a valid integer')
  })

  it('checks artifact locations and makes relative paths absolute', () => {
    expect(resolveArtifactLocation('s3://bucket/path', '/work')).toBe('s3://bucket/path')
    expect(resolveArtifactLocation('/abs/path', '/work')).toBe('/abs/path')
    expect(resolveArtifactLocation('rel/./dir', '/work/')).toBe('/work/rel/dir')
    expect(messageOf(() => resolveArtifactLocation('runs:/abc/model', '/w'))).toBe(
      "Artifact location cannot be a runs:/ URI. Given: 'runs:/abc/model'",
    )
    expect(messageOf(() => resolveArtifactLocation('https://h/p#frag', '/w'))).toBe(
      "'artifact_location' URL can't include fragments or params.",
    )
    expect(messageOf(() => resolveArtifactLocation('https://h/p;params', '/w'))).toBe(
      "'artifact_location' URL can't include fragments or params.",
    )
    expect(messageOf(() => resolveArtifactLocation('https://h/p?x=%252e%252e/', '/w'))).toBe(
      'Invalid query string',
    )
    expect(messageOf(() => resolveArtifactLocation(`/${'a'.repeat(2048)}`, '/w'))).toContain(
      'Invalid artifact path length',
    )
    resolveArtifactLocation(`/${'a'.repeat(2047)}`, '/w')
  })
})

describe('run ids', () => {
  it('accepts MLflow’s run id shape only', () => {
    validateRunId('0123456789abcdef0123456789abcdef')
    expect(messageOf(() => validateRunId('../etc'))).toBe(
      'Invalid value "../etc" for parameter \'run_id\' supplied.',
    )
    expect(messageOf(() => validateRunId('a'.repeat(257)))).toContain("parameter 'run_id'")
  })
})
