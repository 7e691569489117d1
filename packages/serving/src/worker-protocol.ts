import type { ModelInput, ModelOutput, ModelParams } from '@cairn/models'

/** An error crossing the thread boundary: the MLflow code when it was an `MlflowError`. */
export interface WorkerError {
  readonly code?: string
  readonly message: string
}

/** Main thread → worker. */
export type WorkerRequest =
  | {
      readonly type: 'predict'
      readonly id: number
      readonly input: ModelInput
      readonly params?: ModelParams
    }
  | { readonly type: 'close' }

/** Worker → main thread. */
export type WorkerReply =
  | {
      readonly type: 'ready'
      readonly flavor: string
      readonly rowBatchable: boolean
      readonly tensorRowBatchable: boolean
    }
  | { readonly type: 'failed'; readonly error: WorkerError }
  | { readonly type: 'output'; readonly id: number; readonly output: ModelOutput }
  | { readonly type: 'error'; readonly id: number; readonly error: WorkerError }
