import { CreateRunResponse } from '@cairn/core'
import { z } from 'zod'
import { createPromptlabRun } from '../handlers/promptlab-handlers.js'
import { defineRoute, type RouteDefinition } from './route-definition.js'

/**
 * The request as documented. It is not enforced by the schema: MLflow reads the body as plain
 * JSON and answers its own messages (`CreatePromptlabRun request must specify ...`), which the
 * handler reproduces in MLflow's order.
 */
const CreatePromptlabRunRequest = z
  .object({
    experiment_id: z.unknown().optional(),
    run_name: z.unknown().optional(),
    tags: z.unknown().optional(),
    prompt_template: z.unknown().optional(),
    prompt_parameters: z.unknown().optional(),
    model_route: z.unknown().optional(),
    model_parameters: z.unknown().optional(),
    model_input: z.unknown().optional(),
    model_output: z.unknown().optional(),
    model_output_parameters: z.unknown().optional(),
    mlflow_version: z.unknown().optional(),
    user_id: z.unknown().optional(),
    start_time: z.unknown().optional(),
  })
  .meta({
    id: 'CreatePromptlabRunRequest',
    description:
      'Required: experiment_id, prompt_template, prompt_parameters ([{key, value}]), model_route, model_input, mlflow_version.',
  })

/** The MLflow UI's prompt lab: records one evaluated prompt as a finished run. */
export const PROMPTLAB_ROUTES: RouteDefinition[] = [
  defineRoute({
    operationId: 'createPromptlabRun',
    summary: 'Record a prompt lab evaluation as a finished run',
    methods: ['POST'],
    path: '/mlflow/runs/create-promptlab-run',
    request: CreatePromptlabRunRequest,
    response: CreateRunResponse,
    handle: createPromptlabRun,
  }),
]
