import {
  canonicalStage,
  invalidParameter,
  MAX_ALIAS_LENGTH,
  MAX_REGISTRY_TAG_KEY_LENGTH,
  MAX_REGISTRY_TAG_VALUE_LENGTH,
  MODEL_VERSION_STAGES,
  type ModelVersionStage,
  pythonRepr,
  type Tag,
  WEBHOOK_ENTITY_ACTIONS,
  type WebhookEvent,
} from '@cairn/core'
import { posixNormpath } from './python-format.js'
import {
  invalidValueMessage,
  missingValueMessage,
  validateKeyName,
  validateLengthLimit,
} from './validation.js'

/** MLflow's registry validation (`mlflow/utils/validation.py`), with its messages. */

function badPathMessage(name: string): string {
  return `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to ${pythonRepr(posixNormpath(name))}`
}

function pathNotUnique(name: string): boolean {
  const normalised = posixNormpath(name)
  return (
    normalised !== name || normalised === '.' || normalised.startsWith('..') || normalised.startsWith('/')
  )
}

export function validateModelName(name: string, path = 'name'): void {
  if (name.trim() === '') throw invalidParameter(missingValueMessage(path))
  if (name.includes('/') || name.includes(':')) {
    throw invalidParameter(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`)
  }
  if (pathNotUnique(name)) throw invalidParameter(invalidValueMessage(path, name, badPathMessage(name)))
}

export function validateNewModelName(newName: string | undefined): string {
  if (newName === undefined || newName.trim() === '') throw invalidParameter(missingValueMessage('new_name'))
  validateModelName(newName)
  return newName
}

/** A version number from the wire (`"3"`); anything else is MLflow's `must be an integer` error. */
export function parseVersion(version: string): number {
  const trimmed = version.trim()
  if (!/^[-+]?\d+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed))) {
    throw invalidParameter(`Parameter 'version' must be an integer, got '${version}'.`)
  }
  return Number(trimmed)
}

export function validateAlias(alias: string): void {
  if (alias === '') throw invalidParameter('Registered model alias name cannot be empty.')
  if (!/^[\p{L}\p{N}_-]*$/u.test(alias)) {
    throw invalidParameter(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    )
  }
  validateLengthLimit({ name: 'Registered model alias name', limit: MAX_ALIAS_LENGTH, value: alias })
}

export function validateAliasNotReserved(alias: string): void {
  if (alias.toLowerCase() === 'latest')
    throw invalidParameter("'latest' alias name (case insensitive) is reserved.")
  if (/^[vV]\d+$/.test(alias)) throw invalidParameter(`Version alias name '${alias}' is reserved.`)
}

export function validateRegistryTag(tag: Tag): void {
  validateKeyName(tag.key, 'key')
  validateLengthLimit({ name: 'key', limit: MAX_REGISTRY_TAG_KEY_LENGTH, value: tag.key })
  validateLengthLimit({ name: 'value', limit: MAX_REGISTRY_TAG_VALUE_LENGTH, value: tag.value })
}

export function stageOrThrow(stage: string): ModelVersionStage {
  const canonical = canonicalStage(stage)
  if (!canonical) {
    throw invalidParameter(
      `Invalid Model Version stage: ${stage}. Value must be one of ${MODEL_VERSION_STAGES.join(', ')}.`,
    )
  }
  return canonical
}

export function validateLoggedModelName(name: string | undefined): void {
  if (name === undefined) return
  const bad = ['/', ':', '.', '%', '"', "'"]
  if (name === '' || bad.some((char) => name.includes(char))) {
    throw invalidParameter(
      `Invalid model name (${pythonRepr(name)}) provided. Model name must be a non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '"', "'")`,
    )
  }
}

const WEBHOOK_NAME = /^(?=.{1,63}$)[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/i

export function validateWebhookName(name: string): void {
  if (!WEBHOOK_NAME.test(name)) {
    throw invalidParameter(
      `Webhook name ${pythonRepr(name)} is invalid. It must start and end with a letter or digit, be less than 63 characters long, and contain only letters, digits, dots (.), underscores (_), and hyphens (-).`,
    )
  }
}

/** Checks a webhook URL: non-empty, a scheme of `allowedSchemes`, a host. */
export function validateWebhookUrl(url: string, allowedSchemes: readonly string[]): void {
  if (url.trim() === '')
    throw invalidParameter(`Webhook URL cannot be empty or just whitespace: ${pythonRepr(url)}`)
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase() ?? ''
  if (!allowedSchemes.includes(scheme)) {
    throw invalidParameter(
      `Invalid webhook URL scheme: ${pythonRepr(scheme)}. Allowed schemes are: ${allowedSchemes.join(', ')}.`,
    )
  }
  let host = ''
  try {
    host = new URL(url).hostname
  } catch {
    host = ''
  }
  if (!host) throw invalidParameter(`Webhook URL must include a hostname: ${pythonRepr(url)}`)
}

export function validateWebhookEvents(events: readonly WebhookEvent[]): void {
  if (events.length === 0) {
    throw invalidParameter('Webhook events must be a non-empty list of WebhookEvent objects: [].')
  }
  for (const event of events) {
    const actions = WEBHOOK_ENTITY_ACTIONS[event.entity]
    if (!actions.includes(event.action)) {
      throw invalidParameter(
        `Invalid action '${event.action}' for entity '${event.entity}'. Valid actions are: [${[...actions]
          .sort()
          .map((action) => `'${action}'`)
          .join(', ')}]`,
      )
    }
  }
}
