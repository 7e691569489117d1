import { parseArgs } from 'node:util'
import type { ScoringServerOptions } from './scoring-server.js'

/** Usage of the standalone scoring server entry (`node dist/bin.js`). */
export const SERVE_USAGE = `Usage: node bin.js (--model-dir DIR | --model-uri URI) [options]

Serves a model with MLflow's scoring protocol (/ping, /health, /version, /invocations) plus /metrics.

  -d, --model-dir DIR          local model directory (the folder holding MLmodel)
  -m, --model-uri URI          models:/name@alias, models:/name/N, runs:/..., m-<id> (needs MLFLOW_TRACKING_URI)
  -h, --host HOST              address to listen on (default 127.0.0.1)
  -p, --port PORT              port to listen on; 0 picks a free one (default 5000)
  -w, --workers N              worker threads that predict (default 0: the main thread)
      --max-batch-size ROWS    most rows merged into one prediction (default 256; 1 turns batching off)
      --max-batch-wait-ms MS   how long a batch waits for more requests (default 0)
  -t, --timeout SECONDS        request time limit (default $MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT or 60)
      --max-request-bytes N    largest request body (default 67108864)
      --refresh-interval S     re-resolve @alias/latest/stage URIs every S seconds (SIGHUP does it at once)
      --tracking-uri URI       tracking server (default $CAIRN_TRACKING_URI, $MLFLOW_TRACKING_URI)
      --help                   print this help
`

function integer(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new Error(`${flag} must be a non-negative integer, got '${value}'`)
  return Number(value)
}

function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new Error(`${flag} must be a positive number, got '${value}'`)
  return parsed
}

/** Parses the standalone entry's arguments; `undefined` when help was asked for. Throws on bad arguments. */
export function parseServeArguments(argv: readonly string[]): ScoringServerOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      'model-dir': { type: 'string', short: 'd' },
      'model-uri': { type: 'string', short: 'm' },
      host: { type: 'string', short: 'h' },
      port: { type: 'string', short: 'p' },
      workers: { type: 'string', short: 'w' },
      'max-batch-size': { type: 'string' },
      'max-batch-wait-ms': { type: 'string' },
      timeout: { type: 'string', short: 't' },
      'max-request-bytes': { type: 'string' },
      'refresh-interval': { type: 'string' },
      'tracking-uri': { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) return undefined
  if (!values['model-dir'] === !values['model-uri'])
    throw new Error('Give exactly one of --model-dir or --model-uri')
  const timeout = seconds('--timeout', values.timeout)
  return {
    modelDir: values['model-dir'],
    modelUri: values['model-uri'],
    trackingUri: values['tracking-uri'],
    host: values.host,
    port: integer('--port', values.port),
    workers: integer('--workers', values.workers),
    maxBatchSize: integer('--max-batch-size', values['max-batch-size']),
    maxBatchWaitMs: integer('--max-batch-wait-ms', values['max-batch-wait-ms']),
    requestTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
    maxRequestBytes: integer('--max-request-bytes', values['max-request-bytes']),
    refreshIntervalSeconds: seconds('--refresh-interval', values['refresh-interval']),
    handleSignals: true,
  }
}
