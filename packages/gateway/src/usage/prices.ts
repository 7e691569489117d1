import type { Price } from '../config/gateway-config.js'

/**
 * US dollars per million tokens (input, output) of common models, from the providers' public price pages;
 * `prices:` in the config overrides or extends it. Unknown models cost 0.
 */
export const DEFAULT_PRICES: Record<string, Price> = {
  'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
  'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  'gpt-4.1': { inputPerMillion: 2, outputPerMillion: 8 },
  'gpt-4.1-mini': { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  'gpt-3.5-turbo': { inputPerMillion: 0.5, outputPerMillion: 1.5 },
  'text-embedding-3-small': { inputPerMillion: 0.02, outputPerMillion: 0 },
  'text-embedding-3-large': { inputPerMillion: 0.13, outputPerMillion: 0 },
  'claude-3-5-sonnet': { inputPerMillion: 3, outputPerMillion: 15 },
  'claude-3-5-haiku': { inputPerMillion: 0.8, outputPerMillion: 4 },
  'claude-3-haiku': { inputPerMillion: 0.25, outputPerMillion: 1.25 },
  'claude-sonnet-4': { inputPerMillion: 3, outputPerMillion: 15 },
  'gemini-1.5-flash': { inputPerMillion: 0.075, outputPerMillion: 0.3 },
  'gemini-1.5-pro': { inputPerMillion: 1.25, outputPerMillion: 5 },
  'gemini-2.0-flash': { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  'mistral-small-latest': { inputPerMillion: 0.2, outputPerMillion: 0.6 },
  'mistral-large-latest': { inputPerMillion: 2, outputPerMillion: 6 },
  'command-r': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  'command-r-plus': { inputPerMillion: 2.5, outputPerMillion: 10 },
}

/** The price of `model`: exact name first, then the longest known name it starts with (dated versions). */
export function findPrice(model: string, overrides: Record<string, Price>): Price | undefined {
  const exact = overrides[model] ?? DEFAULT_PRICES[model]
  if (exact) return exact
  let best: [string, Price] | undefined
  for (const table of [overrides, DEFAULT_PRICES])
    for (const [name, price] of Object.entries(table))
      if (model.startsWith(name) && (!best || name.length > best[0].length)) best = [name, price]
  return best?.[1]
}

export function costOf(price: Price | undefined, inputTokens: number, outputTokens: number): number {
  if (!price) return 0
  return (inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion) / 1_000_000
}
