import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'

/** s3rver accepts this key pair (and only this one, unless configured otherwise). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const

/** A real S3-compatible server on loopback, backed by a temporary folder. */
export interface RunningS3rver {
  /** e.g. `http://127.0.0.1:43121` (use with `forcePathStyle`). */
  endpoint: string
  /** A bucket created at start. */
  bucket: string
  /** A client for `endpoint` with s3rver's credentials. */
  client: S3Client
  /** The variables a child process (Cairn server, Python client) needs to reach this server. */
  env: Record<string, string>
  close(): Promise<void>
}

/**
 * Starts s3rver on 127.0.0.1 with a fresh bucket.
 *
 * @example
 * const s3 = await startS3rver()
 * const repository = new S3ArtifactRepository(`s3://${s3.bucket}/prefix`, { client: s3.client })
 * await s3.close()
 */
export async function startS3rver(options: { bucket?: string } = {}): Promise<RunningS3rver> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'cairn-s3rver-'))
  const bucket = options.bucket ?? 'cairn-test'
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  })
  const address = await server.run()
  const endpoint = `http://127.0.0.1:${address.port}`
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  return {
    endpoint,
    bucket,
    client,
    env: {
      MLFLOW_S3_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
    },
    async close() {
      client.destroy()
      await server.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
