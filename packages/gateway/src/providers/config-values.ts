/** Reads typed values from a provider's `model.config`; the config loader has already checked required keys. */
export function stringOption(config: Record<string, unknown>, key: string): string | undefined {
  const value = config[key]
  return typeof value === 'string' && value !== '' ? value : undefined
}

export function requireOption(config: Record<string, unknown>, key: string, provider: string): string {
  const value = stringOption(config, key)
  if (value === undefined) throw new Error(`provider '${provider}' needs model.config.${key}`)
  return value
}

export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '')
}
