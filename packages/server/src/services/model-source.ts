import { resolve as resolvePath } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  decodeRepeatedly,
  invalidParameter,
  MlflowError,
  type ModelUri,
  type ModelVersion,
  parseModelUri,
  TAG_IS_PROMPT,
} from '@cairn/core'
import type { RegistryStore, TrackingStore } from '@cairn/store'
import { stageOrThrow } from './registry-validation.js'

/** Sources are checked as MLflow reads them: query-string style (`+` is a space), nested escapes unwrapped. */
const SOURCE_DECODING = { maxRounds: 20, plusAsSpace: true }

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/

/** The source, run and model a new version records, and where its files are. */
export interface ResolvedSource {
  source: string
  storageLocation?: string
  runId?: string
  modelId?: string
}

function schemeOf(uri: string): string {
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase() ?? ''
  return scheme.length === 1 ? '' : scheme // a Windows drive letter is a local path
}

function isLocal(uri: string): boolean {
  const scheme = schemeOf(uri)
  return scheme === '' || scheme === 'file'
}

function localPath(uri: string, workingDirectory: string): string {
  if (schemeOf(uri) === 'file') {
    try {
      return resolvePath(
        fileURLToPath(
          uri.startsWith('file:///') || !uri.startsWith('file://') ? uri : `file:///${uri.slice(7)}`,
        ),
      )
    } catch {
      return resolvePath(workingDirectory, uri.replace(/^file:/, ''))
    }
  }
  return resolvePath(workingDirectory, uri)
}

function uriParts(uri: string): { scheme: string; authority: string; parts: string[] } {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):(?:\/\/([^/?#]*))?([^?#]*)/.exec(uri)
  const path = match?.[3] ?? uri
  return {
    scheme: (match?.[1] ?? '').toLowerCase(),
    authority: (match?.[2] ?? '').toLowerCase(),
    parts: path
      .split('/')
      .filter((part) => part !== '')
      .map((part) => decodeRepeatedly(part, SOURCE_DECODING).text),
  }
}

function isWithinRoot(source: string, root: string): boolean {
  const a = uriParts(source)
  const b = uriParts(root)
  return (
    a.scheme === b.scheme &&
    a.authority === b.authority &&
    b.parts.length > 0 &&
    b.parts.every((part, index) => a.parts[index] === part)
  )
}

function isMlflowArtifactSource(source: string): boolean {
  const { scheme, parts } = uriParts(source)
  if (scheme === 'mlflow-artifacts') return true
  if (scheme !== 'http' && scheme !== 'https') return false
  const route = ['api', '2.0', 'mlflow-artifacts', 'artifacts']
  return parts.some((_, index) => route.every((part, offset) => parts[index + offset] === part))
}

function invalidSource(source: string, idName: 'run_id' | 'model_id'): MlflowError {
  return invalidParameter(
    `Invalid model version source: '${source}'. The ${idName} request parameter must identify the resource that contains the source.`,
  )
}

/** MLflow refuses `..` segments (even percent-encoded) and NUL anywhere in a non-local source. */
function checkNoRelativePaths(source: string): void {
  const decoded = decodeRepeatedly(source, SOURCE_DECODING).text
  const path = (/^[a-zA-Z][a-zA-Z0-9+.-]*:(?:\/\/[^/?#]*)?([^?#]*)/.exec(decoded)?.[1] ?? decoded).replace(
    /\/+/g,
    '/',
  )
  if (
    decoded.includes('\0') ||
    decoded.split('/').some((part) => part === '..') ||
    /(^|\/)\.(\/|$)/.test(path)
  ) {
    throw invalidParameter(
      `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, ` +
        'objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references ' +
        'present. Please provide an absolute path.',
    )
  }
}

/**
 * MLflow's checks and lineage for `model-versions/create` sources: `models:/<name>/<v>` and
 * `models:/<name>@<alias>` sources take the run and logged model of the version they name (and its files);
 * `models:/<model_id>` and logged-model sources must match `model_id`; `runs:/<id>/…` must match `run_id`;
 * local paths and proxied artifact URIs must sit inside the run's (or model's) artifact location.
 */
export class ModelSourceResolver {
  constructor(
    private readonly tracking: TrackingStore,
    private readonly registry: RegistryStore,
    private readonly workingDirectory: string,
  ) {}

  /** The version a `models:/<name>/…` URI names. */
  async resolveRegistryUri(uri: Exclude<ModelUri, { kind: 'logged-model' }>): Promise<ModelVersion> {
    switch (uri.kind) {
      case 'version':
        return this.registry.getModelVersion(uri.name, Number(uri.version))
      case 'alias':
        return this.registry.getModelVersionByAlias(uri.name, uri.alias)
      case 'latest':
        return this.registry.getModelVersionByAlias(uri.name, 'latest')
      case 'stage': {
        const versions = await this.registry.getLatestVersions(uri.name, [stageOrThrow(uri.stage)])
        const newest = versions.sort((a, b) => Number(b.version) - Number(a.version))[0]
        if (!newest) {
          throw new MlflowError(
            'RESOURCE_DOES_NOT_EXIST',
            `No versions of model with name '${uri.name}' and stage '${uri.stage}' found`,
          )
        }
        return newest
      }
    }
  }

  async resolve(request: { source: string; runId?: string; modelId?: string }): Promise<ResolvedSource> {
    let { source } = request
    let runId = request.runId || undefined
    const modelId = request.modelId || undefined
    let storageLocation: string | undefined

    if (schemeOf(source) === 'models') {
      if (/^models:\/\/[^/]/i.test(source)) {
        throw invalidParameter(
          `Invalid model version source: '${source}'. Registered model sources must use the active model registry.`,
        )
      }
      let parsed: ModelUri
      try {
        parsed = parseModelUri(source)
      } catch {
        throw invalidSource(source, 'model_id')
      }
      if (parsed.kind === 'logged-model') {
        if (!modelId || modelId !== parsed.modelId) throw invalidSource(source, 'model_id')
        const model = await this.findLoggedModel(parsed.modelId, source)
        storageLocation = model.artifactUri
        runId = runId ?? model.sourceRunId
        return { source, storageLocation, ...(runId && { runId }), modelId }
      }
      const registered = await this.registry.getRegisteredModel(parsed.name)
      if (registered.tags.some((tag) => tag.key === TAG_IS_PROMPT && tag.value.toLowerCase() === 'true')) {
        throw invalidParameter(
          `Invalid model version source: '${source}'. Prompt versions cannot be used as model version sources.`,
        )
      }
      const version = await this.resolveRegistryUri(parsed)
      if (
        (request.runId !== undefined && (request.runId ?? '') !== (version.runId ?? '')) ||
        (request.modelId !== undefined && (request.modelId ?? '') !== (version.modelId ?? ''))
      ) {
        throw invalidParameter(
          `Invalid model version source: '${source}'. The run_id and model_id request parameters must match the referenced model version.`,
        )
      }
      source = `models:/${version.name}/${version.version}`
      storageLocation = await this.registry.getModelVersionDownloadUri(version.name, Number(version.version))
      return {
        source,
        storageLocation,
        ...(version.runId && { runId: version.runId }),
        ...(version.modelId && { modelId: version.modelId }),
      }
    }

    if (modelId) {
      await this.checkModelSource(source, modelId)
      if (!runId) runId = (await this.findLoggedModel(modelId, source)).sourceRunId
    } else {
      await this.checkRunSource(source, runId)
    }
    return { source, ...(runId && { runId }), ...(modelId && { modelId }) }
  }

  private async checkRunSource(source: string, runId: string | undefined): Promise<void> {
    if (isLocal(source)) {
      if (runId) {
        const run = await this.findRun(runId, source)
        if (isLocal(run.info.artifactUri)) {
          const root = localPath(run.info.artifactUri, this.workingDirectory)
          const path = localPath(source, this.workingDirectory)
          if (path === root || path.startsWith(`${root}/`)) return
        }
      }
      throw invalidParameter(
        `Invalid model version source: '${localPath(source, this.workingDirectory)}'. To use a local path as a model version source, ` +
          'the run_id request parameter has to be specified and the local path has to be contained within the artifact ' +
          'directory of the run specified by the run_id.',
      )
    }
    checkNoRelativePaths(source)
    const scheme = schemeOf(source)
    if (scheme === 'runs') {
      if (/^runs:\/\/[^/]/i.test(source)) throw invalidSource(source, 'run_id')
      const sourceRunId = /^runs:\/+([^/]+)/i.exec(source)?.[1]
      if (runId && sourceRunId === runId) return
      throw invalidSource(source, 'run_id')
    }
    if (isMlflowArtifactSource(source)) {
      if (runId) {
        const run = await this.findRun(runId, source)
        if (isWithinRoot(source, run.info.artifactUri)) return
      }
      throw invalidSource(source, 'run_id')
    }
  }

  private async checkModelSource(source: string, modelId: string): Promise<void> {
    if (isLocal(source)) {
      const model = await this.findLoggedModel(modelId, source)
      if (isLocal(model.artifactUri)) {
        const root = localPath(model.artifactUri, this.workingDirectory)
        const path = localPath(source, this.workingDirectory)
        if (path === root || path.startsWith(`${root}/`)) return
      }
      throw invalidParameter(
        `Invalid model version source: '${localPath(source, this.workingDirectory)}'. To use a local path as a model version source, ` +
          'the model_id request parameter has to be specified and the local path has to be contained within the artifact ' +
          'directory of the run specified by the model_id.',
      )
    }
    checkNoRelativePaths(source)
    if (schemeOf(source) === 'runs') throw invalidSource(source, 'model_id')
    if (isMlflowArtifactSource(source)) {
      const model = await this.findLoggedModel(modelId, source)
      if (isWithinRoot(source, model.artifactUri)) return
      throw invalidSource(source, 'model_id')
    }
  }

  private async findRun(runId: string, source: string) {
    try {
      return await this.tracking.getRun(runId)
    } catch (error) {
      if (error instanceof MlflowError && error.code === 'RESOURCE_DOES_NOT_EXIST')
        throw invalidSource(source, 'run_id')
      throw error
    }
  }

  private async findLoggedModel(modelId: string, source: string) {
    try {
      return await this.registry.getLoggedModel(modelId)
    } catch (error) {
      if (error instanceof MlflowError && error.code === 'RESOURCE_DOES_NOT_EXIST')
        throw invalidSource(source, 'model_id')
      throw error
    }
  }
}
