// A worker thread of the scoring server: loads one model directory and predicts what the main thread sends.
import { parentPort, workerData } from 'node:worker_threads'
import { MlflowError } from '@cairn/core'
import { type LoadedModel, loadModelFromDirectory } from '@cairn/models'
import type { WorkerReply, WorkerRequest } from './worker-protocol.js'

const port = parentPort
if (!port) throw new Error('predict-worker.js runs only as a worker thread')

function describeError(error: unknown): { code?: string; message: string } {
  if (error instanceof MlflowError) return { code: error.code, message: error.message }
  return { message: error instanceof Error ? error.message : String(error) }
}

function reply(message: WorkerReply): void {
  port!.postMessage(message)
}

let model: LoadedModel
try {
  model = await loadModelFromDirectory((workerData as { directory: string }).directory)
  reply({
    type: 'ready',
    flavor: model.flavor,
    rowBatchable: model.rowBatchable,
    tensorRowBatchable: model.tensorRowBatchable === true,
  })
} catch (error) {
  reply({ type: 'failed', error: describeError(error) })
  port.close()
}

port.on('message', (message: WorkerRequest) => {
  if (message.type === 'close') {
    void model.close().finally(() => port.close())
    return
  }
  model.predict(message.input, message.params).then(
    (output) => {
      try {
        reply({ type: 'output', id: message.id, output })
      } catch (error) {
        reply({ type: 'error', id: message.id, error: describeError(error) })
      }
    },
    (error: unknown) => reply({ type: 'error', id: message.id, error: describeError(error) }),
  )
})
