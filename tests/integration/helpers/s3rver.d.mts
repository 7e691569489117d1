export declare const S3RVER_CREDENTIALS: { accessKeyId: string; secretAccessKey: string }

export interface S3rverProcess {
  endpoint: string
  bucket: string
  directory: string
  env: Record<string, string>
  close(): Promise<void>
}

export declare function startS3rverProcess(options?: { bucket?: string }): Promise<S3rverProcess>
