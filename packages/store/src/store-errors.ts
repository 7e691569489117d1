import { MlflowError, pythonRepr } from '@cairn/core'

/** Messages as MLflow's SQL store words them, so clients that match on text keep working. */
export function runNotFound(runId: string): MlflowError {
  return new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`)
}

export function experimentNotFound(experimentId: string): MlflowError {
  return new MlflowError('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${experimentId} exists`)
}

export function experimentNameTaken(name: string, cause?: unknown): MlflowError {
  return new MlflowError('RESOURCE_ALREADY_EXISTS', `Experiment(name=${name}) already exists.`, { cause })
}

export interface ParamConflict {
  key: string
  oldValue: string
  newValue: string
}

export function paramsChanged(runId: string, conflicts: ParamConflict[]): MlflowError {
  const list = conflicts
    .map(
      (conflict) =>
        `{'key': ${pythonRepr(conflict.key)}, 'old_value': ${pythonRepr(conflict.oldValue)}, 'new_value': ${pythonRepr(conflict.newValue)}}`,
    )
    .join(', ')
  return new MlflowError(
    'INVALID_PARAMETER_VALUE',
    `Changing param values is not allowed. Params were already logged='[${list}]' for run ID='${runId}'.`,
  )
}

export function invalidFilter(message: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', message)
}
