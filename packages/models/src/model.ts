/**
 * The contract between model formats, flavours and the scoring server.
 *
 * A request body (`dataframe_split`, `dataframe_records`, `instances`, `inputs`, CSV) is parsed into a
 * {@link ModelInput}; the model's signature (if any) checks and converts it; the flavour predicts and answers a
 * {@link ModelOutput}, which `predictionsToJson` turns into the `predictions` of MLflow's scoring protocol.
 */
import type { MlModel } from './format/mlmodel.js'

/** One cell value after JSON or CSV parsing: JSON scalars, nested arrays/objects for tensor or object columns. */
export type Cell = unknown

/**
 * A parsed model input. `dataframe` is a pandas DataFrame (rows × named columns), `tensor` one N-d array given as
 * nested JSON arrays (MLflow: numpy ndarray), `tensors` a dict of named N-d arrays (MLflow: dict of ndarrays).
 */
export type ModelInput =
  | {
      readonly kind: 'dataframe'
      readonly columns: readonly string[]
      readonly rows: readonly (readonly Cell[])[]
    }
  | { readonly kind: 'tensor'; readonly value: unknown }
  | { readonly kind: 'tensors'; readonly values: Readonly<Record<string, unknown>> }

/** `params` of an /invocations body, after checking against the signature's params schema. */
export type ModelParams = Readonly<Record<string, unknown>>

/**
 * A prediction. `dataframe` serialises as a list of records (pandas `to_dict(orient="records")`), `tensor` as a
 * nested list, `tensors` as `{name: nested list}`, `json` as is.
 */
export type ModelOutput =
  | {
      readonly kind: 'dataframe'
      readonly columns: readonly string[]
      readonly rows: readonly (readonly Cell[])[]
    }
  | { readonly kind: 'tensor'; readonly value: unknown }
  | { readonly kind: 'tensors'; readonly values: Readonly<Record<string, unknown>> }
  | { readonly kind: 'json'; readonly value: unknown }

/** A model loaded from a local model directory (the folder holding `MLmodel`). */
export interface LoadedModel {
  /** The parsed `MLmodel` file. */
  readonly metadata: MlModel
  /** The flavour that predicts (`onnx`, `js`). */
  readonly flavor: string
  /**
   * True when predicting on a `dataframe` whose rows are the concatenation of several requests' rows gives the
   * concatenation of their answers (row i of the output belongs to row i of the input). The scoring server then
   * micro-batches concurrent dataframe requests with the same columns into one `predict`.
   */
  readonly rowBatchable: boolean
  /**
   * True when, besides dataframes, a `tensor` input given as a nested list whose first axis is rows can be
   * concatenated the same way (tensors with the same inner shape, answers split back by rows). Absent means false.
   */
  readonly tensorRowBatchable?: boolean
  /** Predicts. The input is already checked against the signature. Throws `MlflowError` for bad input. */
  predict(input: ModelInput, params?: ModelParams): Promise<ModelOutput>
  /** Frees native resources (ONNX sessions). */
  close(): Promise<void>
}

/** A flavour knows how to load its part of a model directory. */
export interface Flavor {
  readonly name: string
  load(options: { readonly directory: string; readonly metadata: MlModel }): Promise<LoadedModel>
}
