import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GatewayStore } from '@cairn/core'
import { type RunningGateway, startGateway } from '../start-gateway.js'
import { FAKE_KEYS, type FakeKind, type FakeProvider, startFakeProvider } from './fake-provider.js'

/** The error body of the gateway: MLflow's `{error_code, message}`, plus OpenAI's `error` on `/v1` paths. */
export interface GatewayErrorBody {
  error_code?: string
  message?: string
  error?: { type?: string; message?: string; code?: string | null }
}

/**
 * An answer of the gateway. `body` is the parsed JSON taken as the shape the test expects (the
 * type argument, by default an error body), undefined for a non-JSON answer such as an SSE stream.
 */
export interface GatewayAnswer<TBody> {
  status: number
  headers: Headers
  body: TBody
  text: string
}

export interface Harness {
  gateway: RunningGateway
  fakes: Record<FakeKind, FakeProvider>
  configPath: string
  /** POSTs JSON to the gateway; resolves with the status, headers and parsed body (or SSE text). */
  post<TBody = GatewayErrorBody>(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<GatewayAnswer<TBody>>
  get<TBody = GatewayErrorBody>(path: string, headers?: Record<string, string>): Promise<GatewayAnswer<TBody>>
  close(): Promise<void>
}

/** `model.config` for each fake, pointing at its loopback URL. */
export function fakeModelConfig(fake: FakeProvider, provider: string): string {
  switch (provider) {
    case 'openai':
      return `{openai_api_key: ${FAKE_KEYS.openai}, openai_api_base: "${fake.url}/v1"}`
    case 'azure':
      return `{openai_api_key: ${FAKE_KEYS.azure}, openai_api_type: azure, openai_api_base: "${fake.url}", openai_deployment_name: dep-1, openai_api_version: "2024-06-01"}`
    case 'mistral':
      return `{mistral_api_key: ${FAKE_KEYS.openai}, mistral_api_base: "${fake.url}/v1"}`
    case 'togetherai':
      return `{togetherai_api_key: ${FAKE_KEYS.openai}, togetherai_api_base: "${fake.url}/v1"}`
    case 'groq':
    case 'openai-compatible':
    case 'vllm':
      return `{api_key: ${FAKE_KEYS.openai}, api_base: "${fake.url}/v1"}`
    case 'anthropic':
      return `{anthropic_api_key: ${FAKE_KEYS.anthropic}, anthropic_api_base: "${fake.url}/v1"}`
    case 'gemini':
      return `{gemini_api_key: ${FAKE_KEYS.gemini}, gemini_api_base: "${fake.url}/v1beta"}`
    case 'cohere':
      return `{cohere_api_key: ${FAKE_KEYS.cohere}, cohere_api_base: "${fake.url}"}`
    case 'bedrock': {
      const [id, secret] = FAKE_KEYS.bedrock.split(':')
      return `{aws_config: {aws_region: us-east-1, aws_access_key_id: ${id}, aws_secret_access_key: ${secret}, aws_endpoint_url: "${fake.url}"}}`
    }
    case 'ollama':
      return `{api_base: "${fake.url}"}`
    case 'mlflow-model-serving':
      return `{model_server_url: "${fake.url}"}`
    default:
      throw new Error(`no fake for ${provider}`)
  }
}

/** Which fake server speaks each provider's format. */
export const FAKE_OF_PROVIDER: Record<string, FakeKind> = {
  openai: 'openai',
  azure: 'azure',
  mistral: 'openai',
  togetherai: 'openai',
  groq: 'openai',
  'openai-compatible': 'openai',
  vllm: 'openai',
  anthropic: 'anthropic',
  gemini: 'gemini',
  cohere: 'cohere',
  bedrock: 'bedrock',
  ollama: 'ollama',
  'mlflow-model-serving': 'mlflow',
}

export async function startFakes(): Promise<Record<FakeKind, FakeProvider>> {
  const kinds: FakeKind[] = [
    'openai',
    'azure',
    'anthropic',
    'gemini',
    'cohere',
    'bedrock',
    'ollama',
    'mlflow',
  ]
  const started = await Promise.all(kinds.map((kind) => startFakeProvider(kind)))
  return Object.fromEntries(started.map((fake) => [fake.kind, fake])) as Record<FakeKind, FakeProvider>
}

/** Starts the fakes, writes the config `makeConfig` returns, and starts a gateway on it. */
export async function startHarness(
  makeConfig: (fakes: Record<FakeKind, FakeProvider>) => string,
  options: { store?: GatewayStore; watch?: boolean } = {},
): Promise<Harness> {
  const fakes = await startFakes()
  const directory = mkdtempSync(join(tmpdir(), 'cairn-gateway-'))
  const configPath = join(directory, 'gateway.yaml')
  writeFileSync(configPath, makeConfig(fakes))
  const quiet = { info: () => {}, warn: () => {}, error: () => {} }
  const gateway = await startGateway({
    configPath,
    port: 0,
    store: options.store,
    watch: options.watch ?? false,
    logger: quiet,
  })
  const call = async <TBody>(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<GatewayAnswer<TBody>> => {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    return { status: response.status, headers: response.headers, body: parsed as TBody, text }
  }
  return {
    gateway,
    fakes,
    configPath,
    post: <TBody>(path: string, body: unknown, headers?: Record<string, string>) =>
      call<TBody>('POST', path, body, headers),
    get: <TBody>(path: string, headers?: Record<string, string>) =>
      call<TBody>('GET', path, undefined, headers),
    close: async () => {
      await gateway.close()
      await Promise.all(Object.values(fakes).map((fake) => fake.close()))
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

/** Parses an SSE body into its `data:` payloads. */
export function sseData(text: string): string[] {
  return text
    .split(/\n\n/)
    .map((block) =>
      block
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n'),
    )
    .filter(Boolean)
}
