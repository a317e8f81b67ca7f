// Calls of ingestion (/api/v1/ingest): upload a file for a resource, batches, progress.
import { api, unwrap, type Schemas, type paths } from '@/api/client'
import { uploadWithProgress, type UploadProgress } from '@/api/upload'

export type Batch = Schemas['BatchRead']
export type BatchDetail = Schemas['BatchDetail']
export type BatchStatus = Schemas['BatchStatus']
export type Progress = Schemas['ProgressRead']
export type BatchQuery = NonNullable<paths['/api/v1/ingest/batches']['get']['parameters']['query']>

/** A batch that is still being worked on; its page polls the progress. */
export function isRunning(status: BatchStatus): boolean {
  return status === 'queued' || status === 'running'
}

export const ingestApi = {
  /** Uploads the file (progress as bytes leave); the batch then runs in the background. */
  upload: (resourceCode: string, file: File, mapping: string, onProgress: (p: UploadProgress) => void) =>
    uploadWithProgress(
      '/api/v1/ingest/resources/{resource_code}/batches',
      { resource_code: resourceCode },
      { file, mapping: mapping || undefined },
      onProgress,
    ),
  batches: (query: BatchQuery) => unwrap(api.GET('/api/v1/ingest/batches', { params: { query } })),
  batch: (id: number) => unwrap(api.GET('/api/v1/ingest/batches/{batch_id}', { params: { path: { batch_id: id } } })),
  progress: (id: number) =>
    unwrap(api.GET('/api/v1/ingest/batches/{batch_id}/progress', { params: { path: { batch_id: id } } })),
}
