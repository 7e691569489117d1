import { z } from 'zod'
import { Int32, RequiredString } from './wire-types.js'

/** A file or directory of an artifact listing; directories have no `file_size`. */
export const FileInfoJson = z
  .object({ path: z.string(), is_dir: z.boolean().optional(), file_size: z.number().optional() })
  .meta({ id: 'FileInfo' })
export type FileInfoJson = z.infer<typeof FileInfoJson>

/**
 * `GET artifacts/list`: the immediate children of `path` in a run's artifact root, with
 * run-relative paths. Without `max_results` (a Cairn extension) everything is returned, as MLflow does.
 */
export const ListArtifactsRequest = z
  .object({
    run_id: RequiredString,
    run_uuid: z.string().optional(),
    path: z.string().optional(),
    page_token: z.string().optional(),
    max_results: Int32.refine((value) => value >= 1 && value <= 50000).optional(),
  })
  .meta({ id: 'ListArtifactsRequest' })
export type ListArtifactsRequest = z.output<typeof ListArtifactsRequest>
export const ListArtifactsResponse = z
  .object({
    root_uri: z.string().optional(),
    files: z.array(FileInfoJson).optional(),
    next_page_token: z.string().optional(),
  })
  .meta({ id: 'ListArtifactsResponse' })
export type ListArtifactsResponse = z.infer<typeof ListArtifactsResponse>
