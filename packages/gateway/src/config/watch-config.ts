import { type FSWatcher, watch } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import type { GatewayConfig } from './gateway-config.js'
import { loadGatewayConfig } from './gateway-config.js'

export interface WatchConfigOptions {
  onReload: (config: GatewayConfig) => void
  /** A new version that does not validate: the running config stays. */
  onError: (error: Error) => void
  debounceMs?: number
  env?: NodeJS.ProcessEnv
}

/**
 * Reloads the config file when it changes. Watches the directory, so that editors that replace the file
 * (write a temp file, rename it over) are seen too. Returns a function that stops watching.
 */
export function watchGatewayConfig(path: string, options: WatchConfigOptions): () => void {
  const absolute = resolve(path)
  const name = basename(absolute)
  let timer: NodeJS.Timeout | undefined
  let lastText: string | undefined
  const reload = () => {
    timer = undefined
    try {
      const config = loadGatewayConfig(absolute, options.env)
      options.onReload(config)
    } catch (error) {
      options.onError(error as Error)
    }
  }
  const watcher: FSWatcher = watch(dirname(absolute), { persistent: false }, (_event, file) => {
    if (file !== null && file !== name) return
    clearTimeout(timer)
    timer = setTimeout(reload, options.debounceMs ?? 100)
  })
  watcher.on('error', (error) => options.onError(error))
  void lastText
  return () => {
    clearTimeout(timer)
    watcher.close()
  }
}
