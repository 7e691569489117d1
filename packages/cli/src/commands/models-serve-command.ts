import { startScoringServer } from '@cairn/serving'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { parseInteger, trackingUriOption } from '../options.js'

function parseSeconds(flag: string): (value: string) => number {
  return (value) => {
    const seconds = Number(value)
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new InvalidArgumentError(`${flag} must be a positive number.`)
    return seconds
  }
}

interface ServeCommandOptions {
  modelUri: string
  port: number
  host: string
  workers?: number
  maxBatchSize?: number
  maxBatchWaitMs?: number
  timeout?: number
  maxRequestBytes?: number
  refreshInterval?: number
  trackingUri?: string
  envManager?: string
}

/**
 * `cairn models serve -m <uri>`: MLflow's scoring server (`mlflow models serve`) for ONNX and JavaScript models,
 * with micro-batching, worker threads, Prometheus metrics and alias re-resolution. Runs until SIGINT/SIGTERM.
 */
export function addServeCommand(models: Command): void {
  models
    .command('serve')
    .description(
      "Serve a model over HTTP with MLflow's scoring protocol (/invocations) until SIGINT/SIGTERM.",
    )
    // MLflow uses -h for --host, so help is --help only.
    .helpOption('--help', 'display help for command')
    .requiredOption(
      '-m, --model-uri <uri>',
      'models:/name@alias, models:/name/N, models:/name/latest, runs:/<id>/path, m-<id> or a local directory',
    )
    .addOption(
      new Option('-p, --port <port>', 'port to listen on; 0 picks a free one')
        .default(5000)
        .argParser(parseInteger('--port')),
    )
    .addOption(new Option('-h, --host <host>', 'address to listen on').default('127.0.0.1'))
    .addOption(
      new Option(
        '-w, --workers <n>',
        'worker threads that predict (default 0: the main thread); for models that take more than about a millisecond',
      )
        .env('MLFLOW_MODELS_WORKERS')
        .argParser(parseInteger('--workers')),
    )
    .addOption(
      new Option(
        '--max-batch-size <rows>',
        'most rows merged into one prediction; 1 turns batching off (default 256)',
      ).argParser(parseInteger('--max-batch-size')),
    )
    .addOption(
      new Option(
        '--max-batch-wait-ms <ms>',
        'how long a batch waits for more requests (default 0)',
      ).argParser(parseInteger('--max-batch-wait-ms')),
    )
    .addOption(
      new Option('-t, --timeout <seconds>', 'request time limit (default 60)')
        .env('MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT')
        .argParser(parseSeconds('--timeout')),
    )
    .addOption(
      new Option('--max-request-bytes <bytes>', 'largest request body (default 64 MiB)').argParser(
        parseInteger('--max-request-bytes'),
      ),
    )
    .addOption(
      new Option(
        '--refresh-interval <seconds>',
        're-resolve @alias, latest and stage URIs this often and swap to a new version (SIGHUP does it at once)',
      ).argParser(parseSeconds('--refresh-interval')),
    )
    .addOption(
      new Option(
        '--env-manager <manager>',
        'accepted for MLflow parity; Cairn always serves in this process',
      ).choices(['local', 'virtualenv', 'conda', 'uv']),
    )
    .addOption(trackingUriOption())
    .action(async (options: ServeCommandOptions) => {
      const server = await startScoringServer({
        modelUri: options.modelUri,
        trackingUri: options.trackingUri,
        host: options.host,
        port: options.port,
        workers: options.workers,
        maxBatchSize: options.maxBatchSize,
        maxBatchWaitMs: options.maxBatchWaitMs,
        requestTimeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
        maxRequestBytes: options.maxRequestBytes,
        refreshIntervalSeconds: options.refreshInterval,
        handleSignals: true,
      })
      const version = server.model.version ? ` version ${server.model.version}` : ''
      process.stderr.write(`Serving ${server.model.uri}${version} at ${server.url} (Ctrl-C to stop)\n`)
    })
}
