export type {
  ArtifactFileInfo,
  ArtifactPage,
  ArtifactRepository,
  ArtifactStat,
  ByteRange,
  ListArtifactsOptions,
  MultipartUploads,
  UploadedPart,
  WriteArtifactOptions,
} from './artifact-repository.js'
export type { ArtifactLocation, OpenArtifactRepositoryOptions } from './artifact-uri.js'
export {
  openArtifactRepository,
  openDestinationRepository,
  openS3Repository,
  parseArtifactUri,
} from './artifact-uri.js'
export {
  artifactDownloadHeaders,
  contentDispositionAttachment,
  guessArtifactMimeType,
} from './download-headers.js'
export { LocalArtifactRepository } from './local-artifact-repository.js'
export {
  invalidArtifactPath,
  joinArtifactPath,
  normalizeArtifactPath,
  normalizeOptionalArtifactPath,
} from './path-safety.js'
export type { S3Options } from './s3-artifact-repository.js'
// The S3 repository class stays out of this entry so that the AWS SDK loads only when S3 is used
// (`openS3Repository`, `openArtifactRepository`).
export { parseS3Uri } from './s3-uri.js'
