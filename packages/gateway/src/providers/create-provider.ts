import { AnthropicProvider } from './anthropic-provider.js'
import { BedrockProvider } from './bedrock-provider.js'
import { CohereProvider } from './cohere-provider.js'
import { GeminiProvider } from './gemini-provider.js'
import { MlflowServingProvider } from './mlflow-serving-provider.js'
import { OllamaProvider } from './ollama-provider.js'
import {
  createAzureOpenAiProvider,
  createCompatibleProvider,
  createOpenAiProvider,
  OPENAI_COMPATIBLE_PROVIDERS,
} from './openai-provider.js'
import type { Provider, ProviderSettings } from './provider.js'

type ProviderFactory = (settings: ProviderSettings) => Provider

const FACTORIES: Record<string, ProviderFactory> = {
  openai: createOpenAiProvider,
  azure: createAzureOpenAiProvider,
  anthropic: (settings) => new AnthropicProvider(settings),
  gemini: (settings) => new GeminiProvider(settings),
  cohere: (settings) => new CohereProvider(settings),
  bedrock: (settings) => new BedrockProvider('bedrock', settings),
  'amazon-bedrock': (settings) => new BedrockProvider('amazon-bedrock', settings),
  ollama: (settings) => new OllamaProvider(settings),
  'mlflow-model-serving': (settings) => new MlflowServingProvider(settings),
  ...Object.fromEntries(
    OPENAI_COMPATIBLE_PROVIDERS.map((name) => [
      name,
      (settings: ProviderSettings) => createCompatibleProvider(name, settings),
    ]),
  ),
}

/** Provider names `model.provider` may take. */
export const PROVIDER_NAMES: readonly string[] = Object.keys(FACTORIES).sort()

/** The provider for `model.provider`; throws a plain Error naming what is wrong (the config loader adds the line). */
export function createProvider(provider: string, settings: ProviderSettings): Provider {
  const factory = FACTORIES[provider]
  if (!factory) throw new Error(`unknown provider '${provider}' (known: ${PROVIDER_NAMES.join(', ')})`)
  return factory(settings)
}
