import type { CreateRunResponse, Tag } from '@cairn/core'
import { invalidParameter } from '@cairn/core'
import type { HandlerContext } from '../routes/route-definition.js'
import type { PromptlabParam } from '../services/promptlab-artifacts.js'
import { pythonJsonText } from '../services/promptlab-artifacts.js'
import { pythonFloatRepr } from '../services/python-format.js'
import { toRunJson } from './wire-json.js'

/** The prompt lab request as sent: MLflow reads it as plain JSON, without a proto schema. */
export type CreatePromptlabRunRequest = Record<string, unknown>

/** Fields MLflow refuses when missing or falsy, in the order it checks them. */
const REQUIRED_FIELDS = [
  'experiment_id',
  'prompt_template',
  'prompt_parameters',
  'model_route',
  'model_input',
  'mlflow_version',
] as const

/** Python's truthiness of a value decoded from JSON. */
function isFalsy(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true
  if (typeof value === 'bigint') return value === 0n
  if (Array.isArray(value)) return value.length === 0
  return typeof value === 'object' && Object.keys(value).length === 0
}

/** Python's `str()` of a value decoded from JSON. */
export function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === undefined || value === null) return 'None'
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloatRepr(value)
  return pythonJsonText(value)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function paramList(request: CreatePromptlabRunRequest, field: string): PromptlabParam[] {
  const raw = request[field] ?? []
  if (!Array.isArray(raw)) throw invalidParameter(`${field} must be a list of {key, value} objects.`)
  return raw.map((entry, index) => {
    if (!isRecord(entry) || typeof entry.key !== 'string') {
      throw invalidParameter(`${field}[${index}] must be an object with a string 'key'.`)
    }
    return { key: entry.key, value: pythonStr(entry.value) }
  })
}

function tagList(request: CreatePromptlabRunRequest): Tag[] {
  const raw = request.tags ?? []
  if (!Array.isArray(raw)) throw invalidParameter('tags must be a list of {key, value} objects.')
  return raw.map((entry, index) => {
    if (!isRecord(entry) || typeof entry.key !== 'string') {
      throw invalidParameter(`tags[${index}] must be an object with a string 'key'.`)
    }
    return { key: entry.key, value: entry.value === undefined ? '' : pythonStr(entry.value) }
  })
}

function optionalText(request: CreatePromptlabRunRequest, field: string): string | undefined {
  const value = request[field]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalidParameter(`${field} must be a string.`)
  return value
}

function startTime(request: CreatePromptlabRunRequest): number {
  const value = request.start_time
  if (value === undefined) return Date.now()
  const time = typeof value === 'number' || typeof value === 'bigint' ? Number(value) : Number.NaN
  const parsed = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : time
  if (!Number.isSafeInteger(parsed)) throw invalidParameter('start_time must be an integer (milliseconds).')
  return parsed
}

function requiredText(request: CreatePromptlabRunRequest, field: string): string {
  const value = request[field]
  if (typeof value !== 'string' && typeof value !== 'number')
    throw invalidParameter(`${field} must be a string.`)
  return String(value)
}

/** `runs/create-promptlab-run`: validates like MLflow's handler, then records a finished run. */
export async function createPromptlabRun(
  request: CreatePromptlabRunRequest,
  { services }: HandlerContext,
): Promise<CreateRunResponse> {
  for (const field of REQUIRED_FIELDS) {
    if (isFalsy(request[field])) {
      throw invalidParameter(`CreatePromptlabRun request must specify ${field}.`)
    }
  }
  const run = await services.promptlab.createPromptlabRun({
    experimentId: requiredText(request, 'experiment_id'),
    runName: optionalText(request, 'run_name'),
    tags: tagList(request),
    promptTemplate: requiredText(request, 'prompt_template'),
    promptParameters: paramList(request, 'prompt_parameters'),
    modelRoute: requiredText(request, 'model_route'),
    modelParameters: paramList(request, 'model_parameters'),
    modelInput: request.model_input,
    modelOutput: request.model_output,
    modelOutputParameters: paramList(request, 'model_output_parameters'),
    userId: optionalText(request, 'user_id') ?? 'unknown',
    startTime: startTime(request),
  })
  return { run: toRunJson(run) }
}
