import cluster from 'node:cluster'
import { startServer } from '@cairn/server'
import { Command, Option } from 'commander'
import { parseInteger } from '../options.js'

/**
 * `cairn server`: runs the tracking server with `mlflow server`'s flags. Flags left out fall back
 * to the server's `CAIRN_*` environment variables, then to its defaults. The server stops
 * gracefully on SIGINT/SIGTERM.
 */
export function serverCommand(): Command {
  return new Command('server')
    .description('Run the tracking server (REST API and artifact proxy) until SIGINT/SIGTERM.')
    .addOption(
      new Option(
        '--backend-store-uri <uri>',
        'where experiments and runs are stored: sqlite:///<path> or postgresql://… (default sqlite:///./cairn-data/cairn.db)',
      ).env('MLFLOW_BACKEND_STORE_URI'),
    )
    .addOption(
      new Option(
        '--default-artifact-root <uri>',
        'artifact root of new experiments (default mlflow-artifacts:/ when serving artifacts)',
      ).env('MLFLOW_DEFAULT_ARTIFACT_ROOT'),
    )
    .addOption(
      new Option(
        '--artifacts-destination <uri>',
        'where proxied artifacts are stored (default ./cairn-data/artifacts)',
      ).env('MLFLOW_ARTIFACTS_DESTINATION'),
    )
    .option('--serve-artifacts', 'proxy artifact uploads and downloads through the server (the default)')
    .option('--no-serve-artifacts', 'do not proxy artifacts')
    .option(
      '--artifacts-only',
      'serve only the artifact proxy; tracking endpoints answer 503 (for a dedicated artifact server)',
    )
    .addOption(new Option('--host <host>', 'address to listen on (default 127.0.0.1)').env('MLFLOW_HOST'))
    .addOption(
      new Option('-p, --port <port>', 'port to listen on; 0 picks a free one (default 5000)')
        .env('MLFLOW_PORT')
        .argParser(parseInteger('--port')),
    )
    .addOption(
      new Option('-w, --workers <n>', 'processes serving requests (default 1)')
        .env('MLFLOW_WORKERS')
        .argParser(parseInteger('--workers')),
    )
    .addOption(
      new Option(
        '--gateway-config-path <path>',
        'serve the LLM gateway from this config too (MLflow gateway YAML)',
      ).env('MLFLOW_GATEWAY_CONFIG'),
    )
    .action(async (options: ServerCommandOptions) => {
      const server = await startServer({
        backendStoreUri: options.backendStoreUri,
        defaultArtifactRoot: options.defaultArtifactRoot,
        artifactsDestination: options.artifactsDestination,
        serveArtifacts: options.serveArtifacts,
        artifactsOnly: options.artifactsOnly,
        host: options.host,
        port: options.port,
        workers: options.workers,
        gatewayConfigPath: options.gatewayConfigPath,
      })
      // With --workers, each worker re-runs this command; only the primary speaks.
      if (cluster.isPrimary)
        process.stderr.write(`Cairn tracking server listening at ${server.url} (Ctrl-C to stop)\n`)
    })
}

interface ServerCommandOptions {
  backendStoreUri?: string
  defaultArtifactRoot?: string
  artifactsDestination?: string
  serveArtifacts?: boolean
  artifactsOnly?: boolean
  host?: string
  port?: number
  workers?: number
  gatewayConfigPath?: string
}
