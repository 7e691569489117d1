/** What every flavour's `save…Model` takes besides the model itself. */
export interface SaveModelOptions {
  /** The model directory to create; it must not exist or be empty. */
  readonly directory: string
  /** Free-form metadata stored in MLmodel. */
  readonly metadata?: Readonly<Record<string, unknown>>
  /** Fields added to the MLmodel file as they are (e.g. `run_id`, `model_id`, `artifact_path`). */
  readonly mlModelFields?: Readonly<Record<string, unknown>>
}
