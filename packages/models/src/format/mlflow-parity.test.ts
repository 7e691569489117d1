import { readFileSync } from 'node:fs'
import { MlflowError } from '@cairn/core'
import { describe, expect, it } from 'vitest'
import type { ModelInput, ModelOutput } from '../model.js'
import { enforceParams, enforceSignature } from './enforce-signature.js'
import type { MlModelSignatureFields } from './mlmodel.js'
import { predictionsToJson } from './predictions.js'
import { describeUnsupportedContentType, parseScoringRequest, scoringFormatOf } from './scoring-request.js'
import { parseSignature } from './signature.js'

/** Recorded from MLflow's own scoring server by `__fixtures__/make_scoring_cases.py`. */
interface ScoringCase {
  name: string
  signature: string
  content_type: string
  body: string
  status: number
  response?: { predictions: unknown }
  text?: string
  error_code?: string
  message?: string
}

const fixture = JSON.parse(
  readFileSync(new URL('./__fixtures__/scoring-cases.json', import.meta.url), 'utf8'),
) as {
  signatures: Record<string, MlModelSignatureFields | null>
  cases: ScoringCase[]
}

/** Where Cairn answers differently on purpose. */
const DEVIATIONS: Record<string, string> = {
  long_from_float: 'MLflow truncates 2.5 to 2 for a long column; Cairn refuses to change the value',
}

function echo(input: ModelInput): ModelOutput {
  return input
}

function normalize(message: string): string {
  return (
    message
      .replace(/^Failed to predict data '[\s\S]*?'\. \nError: /, '')
      .replace(
        /Failed to enforce schema of data '[\s\S]*?' with schema/,
        'Failed to enforce schema of data with schema',
      )
      // Python prints sets in an order that changes from one process to the next
      .replace(
        /\{('[^']*'(?:, '[^']*')*)\}/g,
        (_, items: string) => `{${items.split(', ').sort().join(', ')}}`,
      )
  )
}

function score(testCase: ScoringCase): { predictions: unknown } {
  const fields = fixture.signatures[testCase.signature]
  const signature = fields ? parseSignature({ flavors: {}, signature: fields }) : undefined
  const format = scoringFormatOf(testCase.content_type)
  if (!format) throw new Error('unsupported content type')
  const request = parseScoringRequest({ format, body: testCase.body, signature })
  const input = enforceSignature(request.input, signature)
  enforceParams(request.params, signature)
  return { predictions: predictionsToJson(echo(input)) }
}

describe('parity with MLflow scoring server', () => {
  for (const testCase of fixture.cases) {
    if (DEVIATIONS[testCase.name]) continue
    it(`answers like MLflow for ${testCase.name}`, () => {
      if (testCase.status === 415) {
        expect(scoringFormatOf(testCase.content_type)).toBeUndefined()
        const message = describeUnsupportedContentType(testCase.content_type)
        if (testCase.name === 'wrong_content_type') {
          expect(message).toBe(
            "This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got 'text/plain'.",
          )
        } else {
          expect(message).toBe(testCase.text)
        }
        return
      }
      if (testCase.status === 200) {
        expect(score(testCase)).toEqual(testCase.response)
        return
      }
      let caught: unknown
      try {
        score(testCase)
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(MlflowError)
      const error = caught as MlflowError
      expect(error.code).toBe(testCase.error_code)
      expect(error.httpStatus).toBe(testCase.status)
      const expected = normalize(testCase.message!)
      if (/JSONDecodeError/.test(expected)) {
        // The parser's own wording differs between Python and JavaScript.
        expect(error.message).toMatch(
          /^Invalid input\. Ensure that input is a valid JSON formatted string\. Error: '/,
        )
        expect(error.message).toContain(`Input: \n${testCase.body}\n`)
      } else {
        expect(normalize(error.message)).toBe(expected)
      }
    })
  }

  it('refuses a float for a long column where MLflow truncates it', () => {
    const testCase = fixture.cases.find((item) => item.name === 'long_from_float')!
    expect(() => score(testCase)).toThrow(
      /Incompatible input types for column n\. Can not safely convert float64 to int64/,
    )
  })
})
