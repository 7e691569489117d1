/** Settings every service reads. */
export interface ServiceOptions {
  /** Truncate long param and run tag values instead of rejecting them (MLFLOW_TRUNCATE_LONG_VALUES, default true). */
  truncateLongValues: boolean
  /** Directory relative artifact locations are resolved against (default: the process's working directory). */
  workingDirectory: string
}
