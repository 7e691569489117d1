import { randomUUID } from 'node:crypto'
import type { Param, Run, RunStatus, Tag } from '@cairn/core'
import type { ArtifactService } from './artifact-service.js'
import {
  EVAL_RESULTS_FILE,
  evalResultsJson,
  PROMPTLAB_MODEL_PATH,
  type PromptlabParam,
  promptlabModelFiles,
  utcTimeCreated,
} from './promptlab-artifacts.js'
import type { RunService } from './run-service.js'

export interface CreatePromptlabRunOptions {
  experimentId: string
  runName?: string
  tags: Tag[]
  promptTemplate: string
  promptParameters: PromptlabParam[]
  modelRoute: string
  modelParameters: PromptlabParam[]
  modelInput: unknown
  modelOutput: unknown
  modelOutputParameters: PromptlabParam[]
  userId: string
  startTime: number
}

const TAG_LOGGED_ARTIFACTS = 'mlflow.loggedArtifacts'
const TAG_RUN_SOURCE_TYPE = 'mlflow.runSourceType'
const LOGGED_ARTIFACTS_VALUE = `[{"path": "${EVAL_RESULTS_FILE}", "type": "table"}]`

/**
 * Runs of the MLflow UI's prompt lab (`runs/create-promptlab-run`): one finished run per prompt
 * evaluation, holding the model parameters, the evaluation table and a pyfunc `model` artifact.
 * As in MLflow, a failure after the run exists leaves it FAILED instead of failing the request.
 */
export class PromptlabService {
  constructor(
    private readonly runs: RunService,
    private readonly artifacts: ArtifactService,
    private readonly mlflowVersion: string,
  ) {}

  async createPromptlabRun(input: CreatePromptlabRunOptions): Promise<Run> {
    const run = await this.runs.createRun({
      experimentId: input.experimentId,
      userId: input.userId,
      runName: input.runName,
      startTime: input.startTime,
      tags: input.tags,
    })
    const runId = run.info.runId
    let status: RunStatus = 'FINISHED'
    try {
      await this.#record(runId, input)
    } catch {
      status = 'FAILED'
    }
    await this.runs.updateRun({ runId, status, endTime: Date.now(), runName: input.runName })
    return this.runs.getRun(runId)
  }

  async #record(runId: string, input: CreatePromptlabRunOptions): Promise<void> {
    const params: Param[] = [
      ...input.modelParameters,
      { key: 'model_route', value: input.modelRoute },
      { key: 'prompt_template', value: input.promptTemplate },
    ]
    await this.runs.logBatch({
      runId,
      metrics: [],
      params,
      tags: [
        { key: TAG_LOGGED_ARTIFACTS, value: LOGGED_ARTIFACTS_VALUE },
        { key: TAG_RUN_SOURCE_TYPE, value: 'PROMPT_ENGINEERING' },
      ],
    })

    const modelUuid = randomUUID().replaceAll('-', '')
    const created = utcTimeCreated(new Date())
    await this.runs.logModel(
      runId,
      JSON.stringify({
        artifact_path: PROMPTLAB_MODEL_PATH,
        run_id: runId,
        utc_time_created: created,
        model_uuid: modelUuid,
        flavors: {},
      }),
    )

    const { repository } = await this.artifacts.runRepository(runId)
    const files = promptlabModelFiles({
      runId,
      modelUuid,
      utcTimeCreated: created,
      promptTemplate: input.promptTemplate,
      promptParameters: input.promptParameters,
      modelParameters: input.modelParameters,
      modelRoute: input.modelRoute,
      mlflowVersion: this.mlflowVersion,
    })
    const encoder = new TextEncoder()
    for (const [name, text] of files) {
      await repository.write(`${PROMPTLAB_MODEL_PATH}/${name}`, encoder.encode(text))
    }
    await repository.write(
      EVAL_RESULTS_FILE,
      encoder.encode(
        evalResultsJson({
          promptParameters: input.promptParameters,
          modelInput: input.modelInput,
          modelOutput: input.modelOutput,
          modelOutputParameters: input.modelOutputParameters,
        }),
      ),
    )
  }
}
