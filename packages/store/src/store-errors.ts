import { MlflowError } from '@cairn/core'

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

/** Python's `repr()` of a string (MLflow formats some messages with it). */
export function pythonRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'"
  let out = quote
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (char === '\\') out += '\\\\'
    else if (char === quote) out += `\\${quote}`
    else if (char === '\n') out += '\\n'
    else if (char === '\r') out += '\\r'
    else if (char === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else out += char
  }
  return out + quote
}

export function invalidFilter(message: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', message)
}
