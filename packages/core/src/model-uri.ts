import { invalidParameter } from './errors.js'

/** What a `models:/` URI names. */
export type ModelUri =
  | { kind: 'version'; name: string; version: string }
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'stage'; name: string; stage: string }
  | { kind: 'latest'; name: string }
  | { kind: 'logged-model'; modelId: string }

/**
 * Parses a `models:/` URI as MLflow does: `models:/<name>/<version>`, `models:/<name>/latest`,
 * `models:/<name>/<stage>` (any other suffix), `models:/<name>@<alias>`, `models:/<model_id>`.
 *
 * @throws MlflowError `INVALID_PARAMETER_VALUE` for anything else.
 * @example
 * parseModelUri('models:/iris@champion') // { kind: 'alias', name: 'iris', alias: 'champion' }
 */
export function parseModelUri(uri: string): ModelUri {
  const fail = (): never => {
    throw invalidParameter(
      `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/model_name/suffix' or ` +
        "'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' and where " +
        'alias is a registered model alias. Only one of suffix or alias can be defined at a time.',
    )
  }
  const match = /^models:(.*)$/i.exec(uri)
  if (!match) return fail()
  let path = match[1] ?? ''
  if (path.startsWith('//')) return fail()
  path = path.replace(/^\/+/, '').replace(/\/+$/, '')
  const parts = path.split('/')
  if (parts.length === 1) {
    const [only = ''] = parts
    if (only === '') return fail()
    const at = only.lastIndexOf('@')
    if (at >= 0) {
      const name = only.slice(0, at)
      const alias = only.slice(at + 1)
      if (!name || !alias) return fail()
      return { kind: 'alias', name, alias }
    }
    return { kind: 'logged-model', modelId: only }
  }
  if (parts.length !== 2) return fail()
  const [name = '', suffix = ''] = parts
  if (!name || !suffix || name.includes('@')) return fail()
  if (/^\d+$/.test(suffix)) return { kind: 'version', name, version: suffix }
  if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name }
  return { kind: 'stage', name, stage: suffix }
}
