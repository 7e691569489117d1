import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import type { ApiClient, ApiResponse } from './api-client.js'

export const API = '/api/2.0/mlflow'
export const AJAX = '/ajax-api/2.0/mlflow'

/** A name no other test (or earlier run on the same database) uses. */
export function uniqueName(prefix = 'test'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`
}

/** Asserts an MLflow error answer and returns its message. */
export function expectError(response: ApiResponse, status: number, errorCode: string): string {
  expect({ status: response.status, error_code: response.body?.error_code }, response.text).toEqual({
    status,
    error_code: errorCode,
  })
  expect(typeof response.body.message).toBe('string')
  return response.body.message as string
}

export function expectOk(response: ApiResponse): void {
  expect(response.status, response.text).toBe(200)
}

export async function createExperiment(api: ApiClient, name = uniqueName('exp')): Promise<string> {
  const response = await api.post(`${API}/experiments/create`, { name })
  expectOk(response)
  return response.body.experiment_id as string
}

export async function createRun(api: ApiClient, experimentId: string, fields: Record<string, unknown> = {}) {
  const response = await api.post(`${API}/runs/create`, { experiment_id: experimentId, ...fields })
  expectOk(response)
  // biome-ignore lint/suspicious/noExplicitAny: wire JSON
  return response.body.run as any
}

export async function getRun(api: ApiClient, runId: string) {
  const response = await api.get(`${API}/runs/get`, { run_id: runId })
  expectOk(response)
  // biome-ignore lint/suspicious/noExplicitAny: wire JSON
  return response.body.run as any
}

/** `[{key, value}]` → `{key: value}` */
export function asMap(entries: { key: string; value: unknown }[] | undefined): Record<string, unknown> {
  return Object.fromEntries((entries ?? []).map(({ key, value }) => [key, value]))
}
