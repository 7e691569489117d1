import type { Experiment, Tag, ViewType } from '@cairn/core'
import { MlflowError, parseOrderBy, parseSearchFilter, SEARCH_RUNS_DEFAULT_MAX_RESULTS } from '@cairn/core'
import type { TrackingStore } from '@cairn/store'
import { resolveArtifactLocation } from './artifact-location.js'
import { offsetFromPageToken, pageTokenFromOffset, validateMaxResults } from './paging.js'
import type { ServiceOptions } from './service-options.js'
import {
  notActiveError,
  parseExperimentId,
  validateExperimentName,
  validateExperimentTag,
} from './validation.js'

export interface CreateExperimentOptions {
  name: string
  artifactLocation?: string
  tags: Tag[]
}

export interface SearchExperimentsOptions {
  viewType?: ViewType
  maxResults?: number
  filter?: string
  orderBy?: string[]
  pageToken?: string
}

export interface ExperimentPage {
  experiments: Experiment[]
  nextPageToken?: string
}

function experimentNotFound(experimentId: string): MlflowError {
  return new MlflowError('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${experimentId} exists`)
}

/** Experiments: creation, lookup, search, lifecycle and tags. */
export class ExperimentService {
  constructor(
    private readonly store: TrackingStore,
    private readonly options: ServiceOptions,
  ) {}

  async createExperiment(input: CreateExperimentOptions): Promise<string> {
    validateExperimentName(input.name)
    const artifactLocation = input.artifactLocation
      ? resolveArtifactLocation(input.artifactLocation, this.options.workingDirectory)
      : undefined
    for (const tag of input.tags) validateExperimentTag(tag)
    return this.store.createExperiment({ name: input.name, artifactLocation, tags: input.tags })
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.store.getExperiment(this.requireId(experimentId))
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    const experiment = await this.store.findExperimentByName(name)
    if (!experiment) {
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`)
    }
    return experiment
  }

  async searchExperiments(input: SearchExperimentsOptions): Promise<ExperimentPage> {
    const maxResults = input.maxResults ?? SEARCH_RUNS_DEFAULT_MAX_RESULTS
    validateMaxResults(maxResults)
    const filter = input.filter ? parseSearchFilter(input.filter, 'experiments') : undefined
    const orderBy = parseOrderBy(input.orderBy ?? [], 'experiments')
    const page = await this.store.searchExperiments({
      viewType: input.viewType ?? 'ACTIVE_ONLY',
      maxResults,
      filter,
      orderBy,
      offset: offsetFromPageToken(input.pageToken),
    })
    return { experiments: page.items, nextPageToken: pageTokenFromOffset(page.nextOffset) }
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.store.deleteExperiment(this.requireId(experimentId))
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.store.restoreExperiment(this.requireId(experimentId))
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName)
    const experiment = await this.getExperiment(experimentId)
    if (experiment.lifecycleStage !== 'active') {
      throw new MlflowError('INVALID_STATE', 'Cannot rename a non-active experiment.')
    }
    await this.store.renameExperiment(experiment.experimentId, newName)
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    validateExperimentTag(tag)
    const experiment = await this.getActiveExperiment(experimentId)
    await this.store.setExperimentTag(experiment.experimentId, tag)
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    const experiment = await this.getActiveExperiment(experimentId)
    await this.store.deleteExperimentTag(experiment.experimentId, key)
  }

  /** An experiment new runs and tags may be written to. */
  async getActiveExperiment(experimentId: string): Promise<Experiment> {
    const experiment = await this.getExperiment(experimentId)
    if (experiment.lifecycleStage !== 'active') {
      throw notActiveError('experiment', experiment.experimentId, experiment.lifecycleStage)
    }
    return experiment
  }

  private requireId(experimentId: string): string {
    const id = parseExperimentId(experimentId)
    if (id === undefined) throw experimentNotFound(experimentId.trim())
    return id
  }
}
