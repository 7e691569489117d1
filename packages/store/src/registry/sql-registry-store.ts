import { randomUUID } from 'node:crypto'
import {
  type LoggedModel,
  type LoggedModelStatus,
  type Metric,
  MlflowError,
  type ModelVersion,
  type ModelVersionStage,
  type Param,
  type RegisteredModel,
  type RegisteredModelAlias,
  STAGE_DELETED_INTERNAL,
  TAG_IS_PROMPT,
  TAG_MODEL_VERSIONS,
  type Tag,
  type Webhook,
  type WebhookDelivery,
  type WebhookEvent,
} from '@cairn/core'
import { type RawBuilder, sql } from 'kysely'
import type { Session, SqlDatabase } from '../dialect/dialect.js'
import { experimentNotFound } from '../store-errors.js'
import type { Page } from '../tracking-store.js'
import { LOGGED_MODEL_ATTRIBUTES, loggedModelAttribute } from './logged-model-filter.js'
import {
  type LoggedModelRow,
  loggedModelStatusNumber,
  MODEL_VERSION_COLUMNS,
  type ModelVersionRow,
  toLoggedModel,
  toModelVersion,
  toRegisteredModel,
  toWebhook,
  toWebhookDelivery,
  versionKey,
  type WebhookDeliveryRow,
  type WebhookRow,
} from './registry-rows.js'
import { buildSearchModelVersionsQuery, buildSearchRegisteredModelsQuery } from './registry-search-sql.js'
import type {
  ClaimedWebhookDelivery,
  ClaimWebhookDeliveriesInput,
  CreateLoggedModelInput,
  CreateModelVersionInput,
  CreateRegisteredModelInput,
  CreateWebhookInput,
  DeliverableWebhook,
  EnqueueWebhookDeliveriesInput,
  FinishWebhookAttemptInput,
  LoggedModelComparison,
  LoggedModelMetricInput,
  RegistryStore,
  SearchLoggedModelsInput,
  SearchRegistryInput,
  UpdateWebhookInput,
  WebhookDeliveryUpdate,
} from './registry-store.js'
import { WebhookDeliveryQueue } from './webhook-delivery-queue.js'

const MAX_INTEGER_ID = 2_147_483_647
const CREATE_VERSION_ATTEMPTS = 3

export function registeredModelNotFound(name: string): MlflowError {
  return new MlflowError('RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`)
}

export function modelVersionNotFound(name: string, version: number | string): MlflowError {
  return new MlflowError(
    'RESOURCE_DOES_NOT_EXIST',
    `Model Version (name=${name}, version=${version}) not found`,
  )
}

export function loggedModelNotFound(modelId: string): MlflowError {
  return new MlflowError('RESOURCE_DOES_NOT_EXIST', `Logged model with ID '${modelId}' not found.`)
}

/** Versions are 32-bit integers in the database: a larger number names no version (rather than failing in SQL). */
function checkVersionRange(name: string, version: number): void {
  if (!Number.isInteger(version) || Math.abs(version) > 2_147_483_647)
    throw modelVersionNotFound(name, version)
}

function webhookNotFound(webhookId: string): MlflowError {
  return new MlflowError('RESOURCE_DOES_NOT_EXIST', `Webhook with ID ${webhookId} not found.`)
}

function lastPerKey(tags: readonly Tag[]): [string, string][] {
  const byKey = new Map<string, string>()
  for (const tag of tags) byKey.set(tag.key, tag.value)
  return [...byKey]
}

function hasPromptTag(tags: readonly Tag[]): boolean {
  return tags.some((tag) => tag.key === TAG_IS_PROMPT && tag.value.toLowerCase() === 'true')
}

/** `json.dumps` spacing (`[{"name": "m", "version": "1"}]`), as MLflow writes the tag. */
function pythonJsonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}: ${pythonJsonDumps(item)}`)
      .join(', ')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

function appendToUri(base: string, ...parts: string[]): string {
  let result = base
  for (const part of parts) result = `${result.replace(/\/+$/, '')}/${part.replace(/^\/+/, '')}`
  return result
}

/**
 * Registered models (`listSql` names) with tags, aliases and latest versions (with their tags) in one
 * statement: the database renders each list as JSON, so a page of 100 models is one round trip with no
 * row per tag or version. Built once per store; its one parameter is `listParameter(names)`.
 */
function registeredModelColumnsSql(db: SqlDatabase): string {
  const postgres = db.kind === 'postgres'
  const array = (...items: string[]) =>
    postgres ? `json_build_array(${items.join(', ')})` : `json_array(${items.join(', ')})`
  const aggregate = (item: string) =>
    postgres ? `COALESCE(json_agg(${item}), '[]'::json)` : `json_group_array(${item})`
  const versionColumns = [
    'mv.version',
    'mv.creation_time',
    'mv.last_updated_time',
    'mv.description',
    'mv.user_id',
    'mv.current_stage',
    'mv.source',
    'mv.run_id',
    'mv.run_link',
    'mv.status',
    'mv.status_message',
    'mv.model_id',
    `(SELECT ${aggregate(array('vt.key', 'vt.value'))} FROM model_version_tags vt WHERE vt.name = mv.name AND vt.version = mv.version)`,
  ]
  return `rm.name, rm.creation_time, rm.last_updated_time, rm.description, rm.user_id,
    (SELECT ${aggregate(array('t.key', 't.value'))} FROM registered_model_tags t WHERE t.name = rm.name) AS tags,
    (SELECT ${aggregate(array('a.alias', 'a.version'))} FROM registered_model_aliases a WHERE a.name = rm.name) AS aliases,
    (SELECT ${aggregate(array(...versionColumns))} FROM model_versions mv
      WHERE mv.name = rm.name AND mv.version IN (SELECT MAX(s.version) FROM model_versions s
        WHERE s.name = rm.name AND s.current_stage <> '${STAGE_DELETED_INTERNAL}' GROUP BY s.current_stage)) AS latest`
}

const parseJson = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Rows of `registeredModelColumnsSql` (as arrays, in select-list order) → registered models. */
function toRegisteredModels(rows: readonly unknown[][]): RegisteredModel[] {
  return rows.map(([name, created, updated, description, userId, tags, aliases, latest]) => {
    const modelName = name as string
    const latestVersions = parseJson<unknown[][]>(latest)
      .map((entry) => {
        const [
          version,
          creation,
          lastUpdated,
          text,
          user,
          stage,
          source,
          runId,
          runLink,
          status,
          message,
          modelId,
          versionTags,
        ] = entry as [
          number,
          number,
          number,
          string | null,
          string | null,
          string,
          string,
          string | null,
          string | null,
          string,
          string | null,
          string | null,
          unknown,
        ]
        return toModelVersion(
          {
            name: modelName,
            version,
            creation_time: creation,
            last_updated_time: lastUpdated,
            description: text,
            user_id: user,
            current_stage: stage,
            source,
            storage_location: null,
            run_id: runId,
            run_link: runLink,
            status,
            status_message: message,
            model_id: modelId,
          },
          parseJson<[string, string][]>(versionTags)
            .map(([key, value]) => ({ key, value }))
            .sort((a, b) => byText(a.key, b.key)),
          [],
        )
      })
      .sort((a, b) => Number(a.version) - Number(b.version))
    return toRegisteredModel(
      {
        name: modelName,
        creation_time: created as number,
        last_updated_time: updated as number,
        description: description as string | null,
        user_id: userId as string | null,
      },
      {
        latestVersions,
        tags: parseJson<[string, string][]>(tags)
          .map(([key, value]) => ({ key, value }))
          .sort((a, b) => byText(a.key, b.key)),
        aliases: parseJson<[string, number][]>(aliases)
          .map(([alias, version]) => ({ alias, version: String(version) }))
          .sort((a, b) => byText(a.alias, b.alias)),
      },
    )
  })
}

/** The registry on the tracking store's database (see `registry-store.ts`). */
export class SqlRegistryStore implements RegistryStore {
  #registeredModelColumns: string | undefined

  readonly #deliveryQueue: WebhookDeliveryQueue

  constructor(private readonly db: SqlDatabase) {
    this.#deliveryQueue = new WebhookDeliveryQueue(db)
  }

  // Registered models

  async createRegisteredModel(input: CreateRegisteredModelInput): Promise<RegisteredModel> {
    const now = Date.now()
    try {
      await this.db.write(async (session) => {
        await session.execute(sql`INSERT INTO registered_models (name, creation_time, last_updated_time, description)
          VALUES (${input.name}, ${now}, ${now}, ${input.description ?? null})`)
        for (const [key, value] of lastPerKey(input.tags ?? [])) {
          await session.execute(
            sql`INSERT INTO registered_model_tags (name, key, value) VALUES (${input.name}, ${key}, ${value})`,
          )
        }
      })
    } catch (error) {
      if (!this.db.isUniqueViolation(error)) throw error
      const existing = await this.getRegisteredModel(input.name)
      const oldEntity = hasPromptTag(existing.tags) ? 'Prompt' : 'Registered Model'
      const newEntity = hasPromptTag(input.tags ?? []) ? 'Prompt' : 'Registered Model'
      if (oldEntity !== newEntity) {
        throw new MlflowError(
          'RESOURCE_ALREADY_EXISTS',
          `Tried to create a ${newEntity.toLowerCase()} with name '${input.name}', but the name is already taken ` +
            `by a ${oldEntity.toLowerCase()}. MLflow does not allow creating a model and a prompt with the same name.`,
          { cause: error },
        )
      }
      throw new MlflowError('RESOURCE_ALREADY_EXISTS', `${newEntity} (name=${input.name}) already exists.`, {
        cause: error,
      })
    }
    return this.getRegisteredModel(input.name)
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const [model] = await this.db.read((session) => this.loadRegisteredModels(session, [name]))
    if (!model) throw registeredModelNotFound(name)
    return model
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const now = Date.now()
    try {
      await this.db.write(async (session) => {
        await this.lockRegisteredModel(session, name)
        await session.execute(
          sql`UPDATE registered_models SET name = ${newName}, last_updated_time = ${now} WHERE name = ${name}`,
        )
        await session.execute(
          sql`UPDATE model_versions SET last_updated_time = ${now} WHERE name = ${newName}`,
        )
      })
    } catch (error) {
      if (!this.db.isUniqueViolation(error)) throw error
      throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Registered Model (name=${newName}) already exists.`, {
        cause: error,
      })
    }
    return this.getRegisteredModel(newName)
  }

  async updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel> {
    const changed = await this.db.write((session) =>
      session.execute(sql`UPDATE registered_models SET description = ${description ?? null},
        last_updated_time = ${Date.now()} WHERE name = ${name}`),
    )
    if (changed === 0) throw registeredModelNotFound(name)
    return this.getRegisteredModel(name)
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    const changed = await this.db.write((session) =>
      session.execute(sql`DELETE FROM registered_models WHERE name = ${name}`),
    )
    if (changed === 0) throw registeredModelNotFound(name)
  }

  async searchRegisteredModels(input: SearchRegistryInput): Promise<Page<RegisteredModel>> {
    this.#registeredModelColumns ??= registeredModelColumnsSql(this.db)
    const query = buildSearchRegisteredModelsQuery<Record<string, unknown>>(
      this.db,
      input,
      sql.raw(this.#registeredModelColumns),
    )
    const rows = await this.db.read((session) => session.select(query))
    const page = rows.slice(0, input.maxResults).map((row) => Object.values(row))
    const items = toRegisteredModels(page)
    return rows.length > input.maxResults ? { items, nextOffset: input.offset + input.maxResults } : { items }
  }

  async getLatestVersions(name: string, stages?: readonly ModelVersionStage[]): Promise<ModelVersion[]> {
    return this.db.read(async (session) => {
      await this.requireRegisteredModel(session, name)
      const latest = await this.loadLatestVersions(session, [name])
      const wanted = stages && stages.length > 0 ? new Set<string>(stages) : undefined
      const versions = (latest.get(name) ?? []).filter(
        (version) => !wanted || wanted.has(version.currentStage),
      )
      const aliases = await this.loadAliases(session, [name])
      for (const version of versions) {
        version.aliases = (aliases.get(name) ?? [])
          .filter((alias) => alias.version === version.version)
          .map((alias) => alias.alias)
      }
      return versions
    })
  }

  async setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    await this.db.write(async (session) => {
      await this.lockRegisteredModel(session, name)
      await session.execute(sql`INSERT INTO registered_model_tags (name, key, value) VALUES (${name}, ${tag.key}, ${tag.value})
        ON CONFLICT (name, key) DO UPDATE SET value = excluded.value`)
    })
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.db.write(async (session) => {
      await this.lockRegisteredModel(session, name)
      await session.execute(sql`DELETE FROM registered_model_tags WHERE name = ${name} AND key = ${key}`)
    })
  }

  // Model versions

  async createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    for (let attempt = 1; ; attempt++) {
      try {
        const version = await this.db.write((session) => this.insertModelVersion(session, input))
        return this.getModelVersion(input.name, version)
      } catch (error) {
        if (!this.db.isUniqueViolation(error)) throw error
        if (attempt >= CREATE_VERSION_ATTEMPTS) {
          throw new MlflowError(
            'INTERNAL_ERROR',
            `Model Version creation error (name=${input.name}). Giving up after ${CREATE_VERSION_ATTEMPTS} attempts.`,
            { cause: error },
          )
        }
      }
    }
  }

  /** Numbers come from `max(version) + 1` while the model's row is locked, so concurrent creators queue. */
  private async insertModelVersion(session: Session, input: CreateModelVersionInput): Promise<number> {
    const now = Date.now()
    await this.lockRegisteredModel(session, input.name)
    await session.execute(
      sql`UPDATE registered_models SET last_updated_time = ${now} WHERE name = ${input.name}`,
    )
    const [row] = await session.select(
      sql<{
        next: number
      }>`SELECT COALESCE(MAX(version), 0) + 1 AS next FROM model_versions WHERE name = ${input.name}`,
    )
    const version = Number(row?.next ?? 1)
    await session.execute(sql`INSERT INTO model_versions (name, version, creation_time, last_updated_time, description,
        current_stage, source, storage_location, run_id, run_link, status, model_id)
      VALUES (${input.name}, ${version}, ${now}, ${now}, ${input.description ?? null}, 'None', ${input.source},
        ${input.storageLocation ?? null}, ${input.runId ?? null}, ${input.runLink ?? null}, 'READY', ${input.modelId ?? null})`)
    for (const [key, value] of lastPerKey(input.tags ?? [])) {
      await session.execute(sql`INSERT INTO model_version_tags (name, version, key, value)
        VALUES (${input.name}, ${version}, ${key}, ${value})`)
    }
    if (input.modelId) await this.appendModelVersionTag(session, input.modelId, input.name, version)
    return version
  }

  /** Records the new version in the logged model's `mlflow.modelVersions` tag (a JSON list). */
  private async appendModelVersionTag(session: Session, modelId: string, name: string, version: number) {
    const [model] = await session.select(
      sql<{
        model_id: string
      }>`SELECT model_id FROM logged_models WHERE model_id = ${modelId} ${sql.raw(this.db.lockRowSuffix)}`,
    )
    if (!model) return
    const [tag] = await session.select(
      sql<{
        tag_value: string
      }>`SELECT tag_value FROM logged_model_tags WHERE model_id = ${modelId} AND tag_key = ${TAG_MODEL_VERSIONS}`,
    )
    let list: unknown[] = []
    try {
      const parsed: unknown = tag ? JSON.parse(tag.tag_value) : []
      if (Array.isArray(parsed)) list = parsed
    } catch {
      list = []
    }
    const entry = { name, version: String(version) }
    if (list.some((item) => JSON.stringify(item) === JSON.stringify(entry))) return
    list.push(entry)
    await session.execute(sql`INSERT INTO logged_model_tags (model_id, tag_key, tag_value)
      VALUES (${modelId}, ${TAG_MODEL_VERSIONS}, ${pythonJsonDumps(list)})
      ON CONFLICT (model_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value`)
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return this.db.read(async (session) => {
      const row = await this.findLiveVersion(session, name, version)
      if (!row) throw modelVersionNotFound(name, version)
      const [loaded] = await this.completeVersions(session, [row], { aliases: true })
      return loaded!
    })
  }

  async updateModelVersion(
    name: string,
    version: number,
    description: string | undefined,
  ): Promise<ModelVersion> {
    checkVersionRange(name, version)
    const changed = await this.db.write((session) =>
      session.execute(sql`UPDATE model_versions SET description = ${description ?? null}, last_updated_time = ${Date.now()}
        WHERE name = ${name} AND version = ${version} AND current_stage <> ${STAGE_DELETED_INTERNAL}`),
    )
    if (changed === 0) throw modelVersionNotFound(name, version)
    return this.getModelVersion(name, version)
  }

  async transitionModelVersionStage(options: {
    name: string
    version: number
    stage: ModelVersionStage
    archiveExistingVersions: boolean
  }): Promise<ModelVersion> {
    const { name, version, stage } = options
    const now = Date.now()
    await this.db.write(async (session) => {
      if (!(await this.findLiveVersion(session, name, version))) throw modelVersionNotFound(name, version)
      if (options.archiveExistingVersions) {
        await session.execute(sql`UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ${now}
          WHERE name = ${name} AND version <> ${version} AND current_stage = ${stage}`)
      }
      await session.execute(sql`UPDATE model_versions SET current_stage = ${stage}, last_updated_time = ${now}
        WHERE name = ${name} AND version = ${version}`)
      await session.execute(sql`UPDATE registered_models SET last_updated_time = ${now} WHERE name = ${name}`)
    })
    return this.getModelVersion(name, version)
  }

  async deleteModelVersion(name: string, version: number): Promise<void> {
    checkVersionRange(name, version)
    const now = Date.now()
    await this.db.write(async (session) => {
      const changed =
        await session.execute(sql`UPDATE model_versions SET current_stage = ${STAGE_DELETED_INTERNAL},
          last_updated_time = ${now}, description = NULL, user_id = NULL, source = 'REDACTED-SOURCE-PATH',
          run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK', status_message = NULL
        WHERE name = ${name} AND version = ${version} AND current_stage <> ${STAGE_DELETED_INTERNAL}`)
      if (changed === 0) throw modelVersionNotFound(name, version)
      await session.execute(
        sql`DELETE FROM registered_model_aliases WHERE name = ${name} AND version = ${version}`,
      )
      await session.execute(sql`UPDATE registered_models SET last_updated_time = ${now} WHERE name = ${name}`)
    })
  }

  async getModelVersionDownloadUri(name: string, version: number): Promise<string> {
    const row = await this.db.read((session) => this.findLiveVersion(session, name, version))
    if (!row) throw modelVersionNotFound(name, version)
    return row.storage_location || row.source
  }

  async searchModelVersions(input: SearchRegistryInput): Promise<Page<ModelVersion>> {
    return this.db.read(async (session) => {
      const keys = await session.select(buildSearchModelVersionsQuery(this.db, input))
      const page = keys.slice(0, input.maxResults)
      const rows = await this.loadVersionRows(session, page)
      const items = await this.completeVersions(session, rows, { aliases: false })
      return keys.length > input.maxResults
        ? { items, nextOffset: input.offset + input.maxResults }
        : { items }
    })
  }

  async setModelVersionTag(name: string, version: number, tag: Tag): Promise<void> {
    await this.db.write(async (session) => {
      if (!(await this.findLiveVersion(session, name, version))) throw modelVersionNotFound(name, version)
      await session.execute(sql`INSERT INTO model_version_tags (name, version, key, value)
        VALUES (${name}, ${version}, ${tag.key}, ${tag.value})
        ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value`)
    })
  }

  async deleteModelVersionTag(name: string, version: number, key: string): Promise<void> {
    await this.db.write(async (session) => {
      if (!(await this.findLiveVersion(session, name, version))) throw modelVersionNotFound(name, version)
      await session.execute(
        sql`DELETE FROM model_version_tags WHERE name = ${name} AND version = ${version} AND key = ${key}`,
      )
    })
  }

  async setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void> {
    await this.db.write(async (session) => {
      await this.lockRegisteredModel(session, name)
      if (!(await this.findLiveVersion(session, name, version))) throw modelVersionNotFound(name, version)
      await session.execute(sql`INSERT INTO registered_model_aliases (name, alias, version) VALUES (${name}, ${alias}, ${version})
        ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version`)
    })
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.db.write(async (session) => {
      await this.lockRegisteredModel(session, name)
      await session.execute(
        sql`DELETE FROM registered_model_aliases WHERE name = ${name} AND alias = ${alias}`,
      )
    })
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const version = await this.db.read(async (session) => {
      await this.requireRegisteredModel(session, name)
      if (alias.toLowerCase() === 'latest') {
        const [row] = await session.select(sql<{ version: number | null }>`SELECT MAX(version) AS version
          FROM model_versions WHERE name = ${name} AND current_stage <> ${STAGE_DELETED_INTERNAL}`)
        if (row?.version === null || row?.version === undefined) {
          throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Latest version not found for model ${name}.`)
        }
        return Number(row.version)
      }
      const [row] = await session.select(
        sql<{
          version: number
        }>`SELECT version FROM registered_model_aliases WHERE name = ${name} AND alias = ${alias}`,
      )
      if (!row) throw new MlflowError('INVALID_PARAMETER_VALUE', `Registered model alias ${alias} not found.`)
      return Number(row.version)
    })
    return this.getModelVersion(name, version)
  }

  async listModelVersionsOfRun(runId: string): Promise<ModelVersion[]> {
    return this.db.read(async (session) => {
      const rows =
        await session.select(sql<ModelVersionRow>`SELECT ${sql.raw(MODEL_VERSION_COLUMNS)} FROM model_versions mv
        WHERE mv.current_stage <> ${STAGE_DELETED_INTERNAL} AND (mv.run_id = ${runId}
          OR mv.model_id IN (SELECT model_id FROM logged_models WHERE source_run_id = ${runId}))
        ORDER BY mv.name, mv.version`)
      return this.completeVersions(session, rows, { aliases: true })
    })
  }

  // Logged models

  async createLoggedModel(input: CreateLoggedModelInput): Promise<LoggedModel> {
    const modelId = `m-${randomUUID().replaceAll('-', '')}`
    const experimentPk = /^\d{1,10}$/.test(input.experimentId) ? Number(input.experimentId) : Number.NaN
    if (!(experimentPk <= MAX_INTEGER_ID)) throw experimentNotFound(input.experimentId)
    const now = Date.now()
    await this.db.write(async (session) => {
      const [experiment] = await session.select(sql<{ artifact_location: string; lifecycle_stage: string }>`
        SELECT artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = ${experimentPk}`)
      if (!experiment) throw experimentNotFound(input.experimentId)
      if (experiment.lifecycle_stage !== 'active') {
        throw new MlflowError(
          'INVALID_PARAMETER_VALUE',
          `The experiment ${input.experimentId} must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`,
        )
      }
      const location = appendToUri(experiment.artifact_location, 'models', modelId, 'artifacts')
      await session.execute(sql`INSERT INTO logged_models (model_id, experiment_id, name, artifact_location,
          creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id)
        VALUES (${modelId}, ${experimentPk}, ${input.name}, ${location}, ${now}, ${now},
          ${loggedModelStatusNumber('LOGGED_MODEL_PENDING')}, 'active', ${input.modelType ?? null}, ${input.sourceRunId ?? null})`)
      await this.upsertLoggedModelRows(session, 'logged_model_params', modelId, input.params ?? [])
      await this.upsertLoggedModelRows(session, 'logged_model_tags', modelId, input.tags ?? [])
    })
    return this.getLoggedModel(modelId)
  }

  async getLoggedModel(modelId: string, options: { allowDeleted?: boolean } = {}): Promise<LoggedModel> {
    return this.db.read(async (session) => {
      const rows =
        await session.select(sql<LoggedModelRow>`SELECT * FROM logged_models WHERE model_id = ${modelId}
        ${options.allowDeleted ? sql`` : sql`AND lifecycle_stage <> 'deleted'`}`)
      const [model] = await this.completeLoggedModels(session, rows)
      if (!model) throw loggedModelNotFound(modelId)
      return model
    })
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    const changed = await this.db.write((session) =>
      session.execute(sql`UPDATE logged_models SET status = ${loggedModelStatusNumber(status)},
        last_updated_timestamp_ms = ${Date.now()} WHERE model_id = ${modelId}`),
    )
    if (changed === 0) throw loggedModelNotFound(modelId)
    return this.getLoggedModel(modelId, { allowDeleted: true })
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    const changed = await this.db.write((session) =>
      session.execute(sql`UPDATE logged_models SET lifecycle_stage = 'deleted',
        last_updated_timestamp_ms = ${Date.now()} WHERE model_id = ${modelId}`),
    )
    if (changed === 0) throw loggedModelNotFound(modelId)
  }

  async setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    await this.db.write(async (session) => {
      await this.requireLoggedModel(session, modelId)
      await this.upsertLoggedModelRows(session, 'logged_model_tags', modelId, tags)
    })
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    await this.db.write(async (session) => {
      await this.requireLoggedModel(session, modelId)
      const changed = await session.execute(
        sql`DELETE FROM logged_model_tags WHERE model_id = ${modelId} AND tag_key = ${key}`,
      )
      if (changed === 0) {
        throw new MlflowError(
          'RESOURCE_DOES_NOT_EXIST',
          `No tag with key '${key}' found for model with ID '${modelId}'.`,
        )
      }
    })
  }

  async logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    await this.db.write(async (session) => {
      await this.requireLoggedModel(session, modelId)
      await this.upsertLoggedModelRows(session, 'logged_model_params', modelId, params)
    })
  }

  async logLoggedModelMetrics(metrics: LoggedModelMetricInput[]): Promise<void> {
    if (metrics.length === 0) return
    await this.db.write(async (session) => {
      const ids = [...new Set(metrics.map((metric) => metric.modelId))]
      const known = new Set(
        (
          await session.select(
            sql<{
              model_id: string
            }>`SELECT model_id FROM logged_models WHERE ${this.db.inList(sql.ref('model_id'), ids)}`,
          )
        ).map((row) => row.model_id),
      )
      for (const metric of metrics) {
        if (!known.has(metric.modelId)) continue
        const value = Number.isNaN(metric.value)
          ? null
          : Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, metric.value))
        await session.execute(sql`INSERT INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms,
            metric_step, metric_value, run_id, dataset_name, dataset_digest)
          VALUES (${metric.modelId}, ${metric.key}, ${metric.timestamp}, ${metric.step}, ${value}, ${metric.runId},
            ${metric.datasetName ?? null}, ${metric.datasetDigest ?? null})
          ON CONFLICT (model_id, metric_name, metric_timestamp_ms, metric_step, run_id)
          DO UPDATE SET metric_value = excluded.metric_value`)
      }
    })
  }

  async searchLoggedModels(input: SearchLoggedModelsInput): Promise<Page<LoggedModel>> {
    const experimentPks = input.experimentIds
      .filter((id) => /^\d{1,10}$/.test(id) && Number(id) <= MAX_INTEGER_ID)
      .map(Number)
    if (experimentPks.length === 0) return { items: [] }
    const where: RawBuilder<unknown>[] = [
      sql`lm.lifecycle_stage <> 'deleted'`,
      this.db.inList(sql.ref('lm.experiment_id'), experimentPks),
    ]
    const datasetFilter = (alias: string): RawBuilder<unknown> | undefined =>
      input.datasets.length === 0
        ? undefined
        : sql`(${sql.join(
            input.datasets.map((dataset) =>
              dataset.datasetDigest === undefined
                ? sql`${sql.ref(`${alias}.dataset_name`)} = ${dataset.datasetName}`
                : sql`(${sql.ref(`${alias}.dataset_name`)} = ${dataset.datasetName} AND ${sql.ref(`${alias}.dataset_digest`)} = ${dataset.datasetDigest})`,
            ),
            sql` OR `,
          )})`
    let hasMetricFilter = false
    for (const comparison of input.comparisons) {
      if (comparison.entity === 'metric') hasMetricFilter = true
      where.push(this.loggedModelPredicate(comparison, datasetFilter('m')))
    }
    const datasets = datasetFilter('m')
    if (datasets && !hasMetricFilter) {
      where.push(
        sql`EXISTS (SELECT 1 FROM logged_model_metrics m WHERE m.model_id = lm.model_id AND ${datasets})`,
      )
    }
    const order: RawBuilder<unknown>[] = []
    let hasCreation = false
    let hasId = false
    for (const item of input.orderBy) {
      const dir = sql.raw(item.ascending ? 'ASC' : 'DESC')
      if (!item.fieldName.includes('.')) {
        const name = loggedModelAttribute(item.fieldName)
        const attribute = Object.hasOwn(LOGGED_MODEL_ATTRIBUTES, name)
          ? LOGGED_MODEL_ATTRIBUTES[name]
          : undefined
        if (!attribute)
          throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid order by field name: ${item.fieldName}`)
        if (name === 'creation_timestamp_ms') hasCreation = true
        if (name === 'model_id') hasId = true
        const column = sql.ref(attribute.column)
        order.push(sql`CASE WHEN ${column} IS NULL THEN 1 ELSE 0 END ASC`, sql`${column} ${dir}`)
        continue
      }
      const [entity, metricName] = [
        item.fieldName.slice(0, item.fieldName.indexOf('.')),
        item.fieldName.slice(item.fieldName.indexOf('.') + 1),
      ]
      if (entity !== 'metrics') {
        throw new MlflowError(
          'INVALID_PARAMETER_VALUE',
          `Invalid order by field name: ${item.fieldName}. Only metrics are supported.`,
        )
      }
      const filters: RawBuilder<unknown>[] = [
        sql`o.model_id = lm.model_id`,
        sql`o.metric_name = ${metricName}`,
      ]
      if (item.datasetName) filters.push(sql`o.dataset_name = ${item.datasetName}`)
      if (item.datasetDigest) filters.push(sql`o.dataset_digest = ${item.datasetDigest}`)
      const latest = sql`(SELECT o.metric_value FROM logged_model_metrics o WHERE ${sql.join(filters, sql` AND `)}
        ORDER BY o.metric_timestamp_ms DESC, o.metric_step DESC, o.run_id ASC LIMIT 1)`
      order.push(sql`CASE WHEN ${latest} IS NULL THEN 1 ELSE 0 END ASC`, sql`${latest} ${dir}`)
    }
    if (!hasCreation) order.push(sql`lm.creation_timestamp_ms DESC`)
    if (!hasId) order.push(sql`lm.model_id ASC`)
    return this.db.read(async (session) => {
      const rows = await session.select(sql<LoggedModelRow>`SELECT lm.* FROM logged_models lm
        WHERE ${sql.join(where, sql` AND `)} ORDER BY ${sql.join(order)}
        LIMIT ${input.maxResults + 1} OFFSET ${input.offset}`)
      const items = await this.completeLoggedModels(session, rows.slice(0, input.maxResults))
      return rows.length > input.maxResults
        ? { items, nextOffset: input.offset + input.maxResults }
        : { items }
    })
  }

  private loggedModelPredicate(
    comparison: LoggedModelComparison,
    datasets: RawBuilder<unknown> | undefined,
  ): RawBuilder<unknown> {
    const compare = (column: RawBuilder<unknown>) => this.comparisonSql(column, comparison)
    switch (comparison.entity) {
      case 'attribute': {
        const attribute = Object.hasOwn(LOGGED_MODEL_ATTRIBUTES, comparison.key)
          ? LOGGED_MODEL_ATTRIBUTES[comparison.key]
          : undefined
        if (!attribute)
          throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid attribute: ${comparison.key}`)
        return compare(sql.ref(attribute.column) as unknown as RawBuilder<unknown>)
      }
      case 'metric':
        return sql`EXISTS (SELECT 1 FROM logged_model_metrics m WHERE m.model_id = lm.model_id
          AND m.metric_name = ${comparison.key} AND ${compare(sql`m.metric_value`)}${datasets ? sql` AND ${datasets}` : sql``})`
      case 'param':
        return sql`EXISTS (SELECT 1 FROM logged_model_params p WHERE p.model_id = lm.model_id
          AND p.param_key = ${comparison.key} AND ${compare(sql`p.param_value`)})`
      case 'tag':
        return sql`EXISTS (SELECT 1 FROM logged_model_tags t WHERE t.model_id = lm.model_id
          AND t.tag_key = ${comparison.key} AND ${compare(sql`t.tag_value`)})`
    }
  }

  private comparisonSql(column: RawBuilder<unknown>, comparison: LoggedModelComparison): RawBuilder<unknown> {
    const { value } = comparison
    switch (comparison.comparator) {
      case 'LIKE':
        return this.db.like(column, String(value))
      case 'ILIKE':
        return this.db.ilike(column, String(value))
      case 'IN':
        return Array.isArray(value) && value.length > 0 ? this.db.inList(column, value) : sql`1 = 0`
      case 'NOT IN':
        return Array.isArray(value) && value.length > 0
          ? sql`NOT (${this.db.inList(column, value)})`
          : sql`1 = 1`
      case '!=':
        return sql`${column} <> ${value}`
      default:
        return sql`${column} ${sql.raw(comparison.comparator)} ${value}`
    }
  }

  // Webhooks

  async createWebhook(input: CreateWebhookInput): Promise<Webhook> {
    const webhookId = randomUUID()
    const now = Date.now()
    await this.db.write(async (session) => {
      await session.execute(sql`INSERT INTO webhooks (webhook_id, name, description, url, secret, status,
          creation_timestamp, last_updated_timestamp)
        VALUES (${webhookId}, ${input.name}, ${input.description ?? null}, ${input.url}, ${input.secret ?? null},
          ${input.status ?? 'ACTIVE'}, ${now}, ${now})`)
      await this.insertWebhookEvents(session, webhookId, input.events)
    })
    return this.getWebhook(webhookId).then(stripSecret)
  }

  async getWebhook(webhookId: string): Promise<DeliverableWebhook> {
    const [webhook] = await this.db.read(async (session) => {
      const rows = await session.select(
        sql<WebhookRow>`SELECT * FROM webhooks WHERE webhook_id = ${webhookId} AND deleted_timestamp IS NULL`,
      )
      return this.completeWebhooks(session, rows)
    })
    if (!webhook) throw webhookNotFound(webhookId)
    return webhook
  }

  async listWebhooks(maxResults: number, offset: number): Promise<Page<Webhook>> {
    return this.db.read(async (session) => {
      const rows = await session.select(sql<WebhookRow>`SELECT * FROM webhooks WHERE deleted_timestamp IS NULL
        ORDER BY creation_timestamp DESC, webhook_id ASC LIMIT ${maxResults + 1} OFFSET ${offset}`)
      const items = (await this.completeWebhooks(session, rows.slice(0, maxResults))).map(stripSecret)
      return rows.length > maxResults ? { items, nextOffset: offset + maxResults } : { items }
    })
  }

  async updateWebhook(input: UpdateWebhookInput): Promise<Webhook> {
    await this.db.write(async (session) => {
      const [row] = await session.select(sql<{ webhook_id: string }>`SELECT webhook_id FROM webhooks
        WHERE webhook_id = ${input.webhookId} AND deleted_timestamp IS NULL ${sql.raw(this.db.lockRowSuffix)}`)
      if (!row) throw webhookNotFound(input.webhookId)
      const sets: RawBuilder<unknown>[] = [sql`last_updated_timestamp = ${Date.now()}`]
      if (input.name !== undefined) sets.push(sql`name = ${input.name}`)
      if (input.url !== undefined) sets.push(sql`url = ${input.url}`)
      if (input.description !== undefined) sets.push(sql`description = ${input.description}`)
      if (input.secret !== undefined) sets.push(sql`secret = ${input.secret}`)
      if (input.status !== undefined) sets.push(sql`status = ${input.status}`)
      await session.execute(sql`UPDATE webhooks SET ${sql.join(sets)} WHERE webhook_id = ${input.webhookId}`)
      if (input.events !== undefined) {
        await session.execute(sql`DELETE FROM webhook_events WHERE webhook_id = ${input.webhookId}`)
        await this.insertWebhookEvents(session, input.webhookId, input.events)
      }
    })
    return this.getWebhook(input.webhookId).then(stripSecret)
  }

  async deleteWebhook(webhookId: string): Promise<void> {
    const now = Date.now()
    const changed = await this.db.write((session) =>
      session.execute(sql`UPDATE webhooks SET deleted_timestamp = ${now}, last_updated_timestamp = ${now}
        WHERE webhook_id = ${webhookId} AND deleted_timestamp IS NULL`),
    )
    if (changed === 0) throw webhookNotFound(webhookId)
  }

  async listWebhooksForEvent(event: WebhookEvent): Promise<DeliverableWebhook[]> {
    return this.db.read(async (session) => {
      const rows = await session.select(sql<WebhookRow>`SELECT w.* FROM webhooks w
        JOIN webhook_events e ON e.webhook_id = w.webhook_id
        WHERE w.deleted_timestamp IS NULL AND w.status = 'ACTIVE' AND e.entity = ${event.entity} AND e.action = ${event.action}
        ORDER BY w.creation_timestamp DESC`)
      return this.completeWebhooks(session, rows)
    })
  }

  async recordWebhookDelivery(delivery: WebhookDelivery): Promise<void> {
    await this.db.write((session) =>
      session.execute(sql`INSERT INTO webhook_deliveries (delivery_id, webhook_id, entity, action, state, attempts,
          response_status, error_message, created_at, last_attempt_at)
        VALUES (${delivery.deliveryId}, ${delivery.webhookId}, ${delivery.entity}, ${delivery.action}, ${delivery.state},
          ${delivery.attempts}, ${delivery.responseStatus ?? null}, ${delivery.errorMessage ?? null}, ${delivery.createdAt},
          ${delivery.lastAttemptAt ?? null})`),
    )
  }

  async updateWebhookDelivery(update: WebhookDeliveryUpdate): Promise<void> {
    await this.db.write((session) =>
      session.execute(sql`UPDATE webhook_deliveries SET state = ${update.state}, attempts = ${update.attempts},
          response_status = ${update.responseStatus ?? null}, error_message = ${update.errorMessage ?? null},
          last_attempt_at = ${update.lastAttemptAt}
        WHERE delivery_id = ${update.deliveryId}`),
    )
  }

  async listWebhookDeliveries(webhookId: string, maxResults: number): Promise<WebhookDelivery[]> {
    const rows = await this.db.read((session) =>
      session.select(sql<WebhookDeliveryRow>`SELECT * FROM webhook_deliveries WHERE webhook_id = ${webhookId}
        ORDER BY created_at DESC, delivery_id ASC LIMIT ${maxResults}`),
    )
    return rows.map(toWebhookDelivery)
  }

  listSubscribedWebhookEvents(): Promise<WebhookEvent[]> {
    return this.#deliveryQueue.listSubscribedEvents()
  }

  enqueueWebhookDeliveries(input: EnqueueWebhookDeliveriesInput): Promise<number> {
    return this.#deliveryQueue.enqueue(input)
  }

  claimWebhookDeliveries(input: ClaimWebhookDeliveriesInput): Promise<ClaimedWebhookDelivery[]> {
    return this.#deliveryQueue.claim(input)
  }

  finishWebhookDeliveryAttempt(input: FinishWebhookAttemptInput): Promise<void> {
    return this.#deliveryQueue.finishAttempt(input)
  }

  findNextWebhookDeliveryTime(): Promise<number | undefined> {
    return this.#deliveryQueue.findNextTime()
  }

  // Helpers

  private async lockRegisteredModel(session: Session, name: string): Promise<void> {
    const [row] = await session.select(
      sql<{
        name: string
      }>`SELECT name FROM registered_models WHERE name = ${name} ${sql.raw(this.db.lockRowSuffix)}`,
    )
    if (!row) throw registeredModelNotFound(name)
  }

  private async requireRegisteredModel(session: Session, name: string): Promise<void> {
    const [row] = await session.select(
      sql<{ name: string }>`SELECT name FROM registered_models WHERE name = ${name}`,
    )
    if (!row) throw registeredModelNotFound(name)
  }

  private async requireLoggedModel(session: Session, modelId: string): Promise<void> {
    const [row] = await session.select(
      sql<{ model_id: string }>`SELECT model_id FROM logged_models WHERE model_id = ${modelId}`,
    )
    if (!row) throw loggedModelNotFound(modelId)
  }

  private async findLiveVersion(
    session: Session,
    name: string,
    version: number,
  ): Promise<ModelVersionRow | undefined> {
    if (!Number.isInteger(version) || Math.abs(version) > 2_147_483_647) return undefined
    const [row] =
      await session.select(sql<ModelVersionRow>`SELECT ${sql.raw(MODEL_VERSION_COLUMNS)} FROM model_versions mv
      WHERE mv.name = ${name} AND mv.version = ${version} AND mv.current_stage <> ${STAGE_DELETED_INTERNAL}`)
    return row
  }

  private async loadVersionRows(
    session: Session,
    keys: readonly { name: string; version: number }[],
  ): Promise<ModelVersionRow[]> {
    if (keys.length === 0) return []
    const names = [...new Set(keys.map((key) => key.name))]
    const versions = [...new Set(keys.map((key) => Number(key.version)))]
    const rows =
      await session.select(sql<ModelVersionRow>`SELECT ${sql.raw(MODEL_VERSION_COLUMNS)} FROM model_versions mv
      WHERE ${this.db.inList(sql.ref('mv.name'), names)} AND ${this.db.inList(sql.ref('mv.version'), versions)}`)
    const byKey = new Map(rows.map((row) => [versionKey(row.name, row.version), row]))
    return keys.flatMap((key) => byKey.get(versionKey(key.name, key.version)) ?? [])
  }

  /** Adds tags (and aliases) to version rows, keeping their order. */
  private async completeVersions(
    session: Session,
    rows: readonly ModelVersionRow[],
    options: { aliases: boolean },
  ): Promise<ModelVersion[]> {
    if (rows.length === 0) return []
    const names = [...new Set(rows.map((row) => row.name))]
    const tagRows = await session.select(sql<{ name: string; version: number; key: string; value: string }>`
      SELECT name, version, key, value FROM model_version_tags WHERE ${this.db.inList(sql.ref('name'), names)}
      ORDER BY name, version, key`)
    const tags = new Map<string, Tag[]>()
    for (const row of tagRows) {
      const key = versionKey(row.name, row.version)
      tags.set(key, [...(tags.get(key) ?? []), { key: row.key, value: row.value }])
    }
    const aliases = options.aliases
      ? await this.loadAliases(session, names)
      : new Map<string, RegisteredModelAlias[]>()
    return rows.map((row) =>
      toModelVersion(
        row,
        tags.get(versionKey(row.name, row.version)) ?? [],
        (aliases.get(row.name) ?? [])
          .filter((alias) => alias.version === String(row.version))
          .map((alias) => alias.alias),
      ),
    )
  }

  private async loadAliases(
    session: Session,
    names: readonly string[],
  ): Promise<Map<string, RegisteredModelAlias[]>> {
    const byName = new Map<string, RegisteredModelAlias[]>()
    if (names.length === 0) return byName
    const rows = await session.select(sql<{ name: string; alias: string; version: number }>`
      SELECT name, alias, version FROM registered_model_aliases WHERE ${this.db.inList(sql.ref('name'), names)}
      ORDER BY name, alias`)
    for (const row of rows) {
      byName.set(row.name, [
        ...(byName.get(row.name) ?? []),
        { alias: row.alias, version: String(row.version) },
      ])
    }
    return byName
  }

  /** Newest live version per stage, by model (MLflow's `latest_versions`: tags, no aliases). */
  private async loadLatestVersions(
    session: Session,
    names: readonly string[],
  ): Promise<Map<string, ModelVersion[]>> {
    const byName = new Map<string, ModelVersion[]>()
    if (names.length === 0) return byName
    const rows =
      await session.select(sql<ModelVersionRow>`SELECT ${sql.raw(MODEL_VERSION_COLUMNS)} FROM model_versions mv
      JOIN (SELECT name, current_stage, MAX(version) AS version FROM model_versions
            WHERE ${this.db.inList(sql.ref('name'), names)} AND current_stage <> ${STAGE_DELETED_INTERNAL}
            GROUP BY name, current_stage) latest
        ON latest.name = mv.name AND latest.version = mv.version
      ORDER BY mv.name, mv.version`)
    for (const version of await this.completeVersions(session, rows, { aliases: false })) {
      byName.set(version.name, [...(byName.get(version.name) ?? []), version])
    }
    return byName
  }

  /**
   * Registered models with tags, aliases and latest versions (with their tags) in one statement: the
   * database renders each list as JSON, so a page of 100 models costs one round trip and no row objects
   * per tag or version.
   */
  private async loadRegisteredModels(session: Session, names: readonly string[]): Promise<RegisteredModel[]> {
    if (names.length === 0) return []
    this.#registeredModelColumns ??= registeredModelColumnsSql(this.db)
    const rows = await session.selectRows(
      `SELECT ${this.#registeredModelColumns} FROM registered_models rm WHERE rm.name ${this.db.listSql}`,
      [this.db.listParameter(names)],
    )
    const byName = new Map(toRegisteredModels(rows).map((model) => [model.name, model]))
    return names.flatMap((name) => byName.get(name) ?? [])
  }

  private async upsertLoggedModelRows(
    session: Session,
    table: 'logged_model_params' | 'logged_model_tags',
    modelId: string,
    entries: readonly Tag[],
  ): Promise<void> {
    const [key, value] =
      table === 'logged_model_params' ? ['param_key', 'param_value'] : ['tag_key', 'tag_value']
    for (const [entryKey, entryValue] of lastPerKey(entries)) {
      await session.execute(sql`INSERT INTO ${sql.table(table)} (model_id, ${sql.ref(key)}, ${sql.ref(value)})
        VALUES (${modelId}, ${entryKey}, ${entryValue})
        ON CONFLICT (model_id, ${sql.ref(key)}) DO UPDATE SET ${sql.ref(value)} = excluded.${sql.ref(value)}`)
    }
  }

  private async completeLoggedModels(
    session: Session,
    rows: readonly LoggedModelRow[],
  ): Promise<LoggedModel[]> {
    if (rows.length === 0) return []
    const ids = rows.map((row) => row.model_id)
    const inIds = this.db.inList(sql.ref('model_id'), ids)
    const tags = new Map<string, Tag[]>()
    for (const row of await session.select(
      sql<{ model_id: string; tag_key: string; tag_value: string }>`SELECT model_id, tag_key, tag_value
        FROM logged_model_tags WHERE ${inIds} ORDER BY model_id, tag_key`,
    )) {
      tags.set(row.model_id, [...(tags.get(row.model_id) ?? []), { key: row.tag_key, value: row.tag_value }])
    }
    const params = new Map<string, Param[]>()
    for (const row of await session.select(
      sql<{
        model_id: string
        param_key: string
        param_value: string
      }>`SELECT model_id, param_key, param_value
        FROM logged_model_params WHERE ${inIds} ORDER BY model_id, param_key`,
    )) {
      params.set(row.model_id, [
        ...(params.get(row.model_id) ?? []),
        { key: row.param_key, value: row.param_value },
      ])
    }
    const metrics = new Map<string, Metric[]>()
    for (const row of await session.select(
      sql<{
        model_id: string
        metric_name: string
        metric_timestamp_ms: number
        metric_step: number
        metric_value: number | null
        run_id: string
        dataset_name: string | null
        dataset_digest: string | null
      }>`SELECT * FROM logged_model_metrics WHERE ${inIds}
        ORDER BY model_id, metric_name, metric_timestamp_ms, metric_step, run_id`,
    )) {
      const metric: Metric = {
        key: row.metric_name,
        value: row.metric_value === null ? Number.NaN : Number(row.metric_value),
        timestamp: Number(row.metric_timestamp_ms),
        step: Number(row.metric_step),
        runId: row.run_id,
        modelId: row.model_id,
      }
      if (row.dataset_name !== null) metric.datasetName = row.dataset_name
      if (row.dataset_digest !== null) metric.datasetDigest = row.dataset_digest
      metrics.set(row.model_id, [...(metrics.get(row.model_id) ?? []), metric])
    }
    return rows.map((row) =>
      toLoggedModel(row, {
        tags: tags.get(row.model_id) ?? [],
        params: params.get(row.model_id) ?? [],
        metrics: metrics.get(row.model_id) ?? [],
      }),
    )
  }

  private async insertWebhookEvents(session: Session, webhookId: string, events: readonly WebhookEvent[]) {
    const unique = new Map(events.map((event) => [`${event.entity}.${event.action}`, event]))
    for (const event of unique.values()) {
      await session.execute(sql`INSERT INTO webhook_events (webhook_id, entity, action)
        VALUES (${webhookId}, ${event.entity}, ${event.action})`)
    }
  }

  private async completeWebhooks(
    session: Session,
    rows: readonly WebhookRow[],
  ): Promise<DeliverableWebhook[]> {
    if (rows.length === 0) return []
    const events = await session.select(sql<{ webhook_id: string; entity: string; action: string }>`
      SELECT webhook_id, entity, action FROM webhook_events
      WHERE ${this.db.inList(
        sql.ref('webhook_id'),
        rows.map((row) => row.webhook_id),
      )} ORDER BY webhook_id, entity, action`)
    return rows.map((row) => {
      const webhook: DeliverableWebhook = toWebhook(
        row,
        events.filter((event) => event.webhook_id === row.webhook_id),
      )
      if (row.secret) webhook.secret = row.secret
      return webhook
    })
  }
}

function stripSecret(webhook: DeliverableWebhook): Webhook {
  const { secret: _secret, ...rest } = webhook
  return rest
}
