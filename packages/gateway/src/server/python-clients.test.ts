import { execFile } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pythonHas, VENV_PYTHON } from '../../../../tests/integration/helpers/python.mjs'
import { FAKE_EMBEDDING, fakeReply } from '../test-support/fake-provider.js'
import { fakeModelConfig, type Harness, startHarness } from '../test-support/gateway-harness.js'

const run = promisify(execFile)
const here = dirname(fileURLToPath(import.meta.url))
const PYTHON = VENV_PYTHON
const SCRIPTS = resolve(here, '../test-support/python')
const IS_CI = process.env.CI === 'true' || process.env.CI === '1'

const HAS_OPENAI = await pythonHas('openai')
const HAS_MLFLOW = await pythonHas('mlflow.deployments')

let harness: Harness

beforeAll(async () => {
  harness = await startHarness(
    (fakes) => `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o-mini, config: ${fakeModelConfig(fakes.openai, 'openai')}}
    limit: {calls: 1000, renewal_period: minute}
  - {name: completions, endpoint_type: llm/v1/completions, model: {provider: gemini, name: gemini-1.5-flash, config: ${fakeModelConfig(fakes.gemini, 'gemini')}}}
  - {name: embeddings, endpoint_type: llm/v1/embeddings, model: {provider: ollama, name: nomic-embed-text, config: ${fakeModelConfig(fakes.ollama, 'ollama')}}}
`,
  )
})

afterAll(async () => {
  await harness?.close()
})

/** What `openai_client.py` prints. */
interface OpenAiScriptResult {
  chat: string
  usage: number
  streamed: string
  embeddings: number[][]
  missing_status: number
}

/** What `mlflow_deployments.py` prints. */
interface MlflowScriptResult {
  endpoints: { name: string; endpoint_type: string; provider: string; url: string }[]
  endpoint_limit: number
  chat: string
  completion: string
  embeddings: number[]
  streamed: string | null
  invalid: string
}

/** Runs a script of `test-support/python` and parses the JSON it prints (shaped as `TResult`). */
async function runScript<TResult>(name: string): Promise<TResult> {
  const { stdout } = await run(PYTHON, [join(SCRIPTS, name)], {
    timeout: 120_000,
    env: { ...process.env, GATEWAY_URL: harness.gateway.url, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' },
  })
  return JSON.parse(stdout) as TResult
}

describe('Python clients against the gateway', () => {
  it.skipIf(!HAS_OPENAI && !IS_CI)(
    'the openai package: chat, streaming chat, embeddings',
    async () => {
      expect(HAS_OPENAI, `.venv/bin/python cannot import openai (${PYTHON})`).toBe(true)
      const result = await runScript<OpenAiScriptResult>('openai_client.py')
      expect(result.chat).toBe(fakeReply('from python'))
      expect(result.usage).toBeGreaterThan(0)
      expect(result.streamed).toBe(fakeReply('python stream'))
      expect(result.embeddings).toEqual([FAKE_EMBEDDING, FAKE_EMBEDDING])
      expect(result.missing_status).toBe(404)
    },
    120_000,
  )

  it.skipIf(!HAS_MLFLOW && !IS_CI)(
    "MLflow's get_deploy_client: list, get, predict (MLflow 3 leaves its predict_stream unimplemented)",
    async () => {
      expect(HAS_MLFLOW, `.venv/bin/python cannot import mlflow.deployments (${PYTHON})`).toBe(true)
      const result = await runScript<MlflowScriptResult>('mlflow_deployments.py')
      expect(result.endpoints).toEqual([
        {
          name: 'chat',
          endpoint_type: 'llm/v1/chat',
          provider: 'openai',
          url: `${harness.gateway.url}/gateway/chat/invocations`,
        },
        {
          name: 'completions',
          endpoint_type: 'llm/v1/completions',
          provider: 'gemini',
          url: `${harness.gateway.url}/gateway/completions/invocations`,
        },
        {
          name: 'embeddings',
          endpoint_type: 'llm/v1/embeddings',
          provider: 'ollama',
          url: `${harness.gateway.url}/gateway/embeddings/invocations`,
        },
      ])
      expect(result.endpoint_limit).toBe(1000)
      expect(result.chat).toBe(fakeReply('mlflow says hi'))
      expect(result.completion).toBe(fakeReply('mlflow completes'))
      expect(result.embeddings).toEqual(FAKE_EMBEDDING)
      if (result.streamed !== null) expect(result.streamed).toBe(fakeReply('mlflow streams'))
      expect(result.invalid).toMatch(/messages/)
    },
    120_000,
  )
})
