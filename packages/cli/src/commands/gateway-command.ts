import { MlflowError } from '@cairn/core'
import { GatewayConfigError, startGateway } from '@cairn/gateway'
import { GatewayClient } from '@cairn/sdk'
import { openGatewayStore } from '@cairn/store'
import { Command, Option } from 'commander'
import { formatTable, formatTime, toJson } from '../format.js'
import { jsonOption, parseInteger } from '../options.js'

const DEFAULT_GATEWAY_URI = 'http://127.0.0.1:5000'

function gatewayUriOption(): Option {
  return new Option(
    '--gateway-uri <uri>',
    `gateway URL (default $MLFLOW_DEPLOYMENTS_TARGET or ${DEFAULT_GATEWAY_URI})`,
  )
}

function clientOf(options: { gatewayUri?: string; apiKey?: string }): GatewayClient {
  return new GatewayClient({
    url: options.gatewayUri ?? process.env.MLFLOW_DEPLOYMENTS_TARGET ?? DEFAULT_GATEWAY_URI,
    apiKey: options.apiKey ?? process.env.CAIRN_GATEWAY_API_KEY,
  })
}

/** `cairn gateway start|endpoints|usage`: the LLM gateway (MLflow's `mlflow gateway start`) and its queries. */
export function gatewayCommand(): Command {
  const gateway = new Command('gateway').description('Run the LLM gateway or query one.')

  gateway
    .command('start')
    .description('Serve the LLM gateway from a config file (reloaded when it changes) until SIGINT/SIGTERM.')
    .requiredOption('--config-path <path>', "gateway config (MLflow's YAML format)")
    .addOption(new Option('--host <host>', 'address to listen on (default 127.0.0.1)').env('MLFLOW_HOST'))
    .addOption(
      new Option('-p, --port <port>', 'port to listen on; 0 picks a free one (default 5000)').argParser(
        parseInteger('--port'),
      ),
    )
    .addOption(
      new Option(
        '--backend-store-uri <uri>',
        'database for API keys, shared limits and usage (sqlite:///… or postgresql://…); in-process when omitted',
      ).env('CAIRN_GATEWAY_BACKEND_STORE_URI'),
    )
    .action(
      async (options: { configPath: string; host?: string; port?: number; backendStoreUri?: string }) => {
        const store = options.backendStoreUri ? await openGatewayStore(options.backendStoreUri) : undefined
        let running: Awaited<ReturnType<typeof startGateway>>
        try {
          running = await startGateway({
            configPath: options.configPath,
            host: options.host,
            port: options.port,
            store,
          })
        } catch (error) {
          await store?.close()
          if (error instanceof GatewayConfigError)
            throw new MlflowError('INVALID_PARAMETER_VALUE', error.message)
          throw error
        }
        process.stderr.write(
          `Cairn gateway listening at ${running.url} with ${running.gateway.config.endpoints.length} endpoints (Ctrl-C to stop)\n`,
        )
        const stop = async () => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          await running.close()
          await store?.close()
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
      },
    )

  gateway
    .command('endpoints')
    .description('List the endpoints of a gateway.')
    .addOption(gatewayUriOption())
    .addOption(jsonOption())
    .action(async (options: { gatewayUri?: string; json?: boolean }) => {
      const endpoints = await clientOf(options).listEndpoints()
      if (options.json) {
        process.stdout.write(`${toJson(endpoints)}\n`)
        return
      }
      process.stdout.write(
        `${formatTable(
          ['name', 'type', 'provider', 'model', 'limit'],
          endpoints.map((endpoint) => [
            endpoint.name,
            endpoint.endpoint_type,
            endpoint.model.provider,
            endpoint.model.name,
            endpoint.limit ? `${endpoint.limit.calls}/${endpoint.limit.renewal_period}` : '',
          ]),
        )}\n`,
      )
    })

  gateway
    .command('usage')
    .description('Show recorded calls, or totals per endpoint, provider, model and key with --summary.')
    .addOption(gatewayUriOption())
    .option('--endpoint <name>', 'only this endpoint')
    .option('--key-id <id>', 'only this API key')
    .option('--since <ms>', 'only calls at or after this time (ms since the epoch)', parseInteger('--since'))
    .option('--max-results <n>', 'most recent calls to show (default 100)', parseInteger('--max-results'))
    .option('--summary', 'totals instead of individual calls')
    .option('--api-key <key>', 'admin key, when the gateway has one (default $CAIRN_GATEWAY_API_KEY)')
    .addOption(jsonOption())
    .action(
      async (options: {
        gatewayUri?: string
        endpoint?: string
        keyId?: string
        since?: number
        maxResults?: number
        summary?: boolean
        apiKey?: string
        json?: boolean
      }) => {
        const client = clientOf(options)
        const filter = { endpoint: options.endpoint, keyId: options.keyId, startTime: options.since }
        if (options.summary) {
          const rows = await client.summarizeUsage(filter)
          if (options.json) return void process.stdout.write(`${toJson(rows)}\n`)
          process.stdout.write(
            `${formatTable(
              [
                'endpoint',
                'provider',
                'model',
                'key',
                'calls',
                'errors',
                'tokens in',
                'tokens out',
                'cost $',
              ],
              rows.map((row) => [
                row.endpoint,
                row.provider,
                row.model,
                row.key_id ?? '',
                String(row.calls),
                String(row.errors),
                String(row.input_tokens),
                String(row.output_tokens),
                row.cost_usd.toFixed(6),
              ]),
            )}\n`,
          )
          return
        }
        const records = await client.searchUsage({ ...filter, maxResults: options.maxResults ?? 100 })
        if (options.json) return void process.stdout.write(`${toJson(records)}\n`)
        process.stdout.write(
          `${formatTable(
            [
              'time',
              'endpoint',
              'provider',
              'model',
              'key',
              'status',
              'tokens in',
              'tokens out',
              'ms',
              'cost $',
            ],
            records.map((record) => [
              formatTime(record.timestamp),
              record.endpoint,
              record.provider,
              record.model,
              record.key_id ?? '',
              String(record.status),
              String(record.input_tokens),
              String(record.output_tokens),
              record.latency_ms.toFixed(1),
              record.cost_usd.toFixed(6),
            ]),
          )}\n`,
        )
      },
    )
  return gateway
}
