import { MlflowError } from '@cairn/core'

/** The MlflowError `action` throws; fails the test when it throws something else or nothing. */
export function errorOf(action: () => unknown): MlflowError {
  try {
    action()
  } catch (error) {
    if (error instanceof MlflowError) return error
    throw error
  }
  throw new Error('expected an MlflowError')
}
