import { MlflowError } from '@cairn/core'
import { expect } from 'vitest'

/** Awaits `promise` and checks that it failed with an MlflowError of `code` (and `message`, when given). */
export async function expectMlflowError(
  promise: Promise<unknown>,
  code: string,
  message?: string | RegExp,
): Promise<MlflowError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error, 'expected the call to fail').toBeInstanceOf(MlflowError)
  const mlflowError = error as MlflowError
  expect(mlflowError.code).toBe(code)
  if (typeof message === 'string') expect(mlflowError.message).toBe(message)
  else if (message) expect(mlflowError.message).toMatch(message)
  return mlflowError
}
