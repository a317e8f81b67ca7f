/** The backend's error body: a stable English ``code`` for programs, a Chinese ``message`` for people. */
export interface ErrorBody {
  code: string
  message: string
  detail?: unknown
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly detail: unknown

  constructor(status: number, body: Partial<ErrorBody> | undefined, fallback: string) {
    super(body?.message || fallback)
    this.name = 'ApiError'
    this.status = status
    this.code = body?.code || `http_${status}`
    this.detail = body?.detail
  }
}

function isErrorBody(value: unknown): value is Partial<ErrorBody> {
  return typeof value === 'object' && value !== null && ('code' in value || 'message' in value)
}

/** Turns whatever openapi-fetch gave as ``error`` into an ApiError. */
export function toApiError(status: number, error: unknown, fallback: string): ApiError {
  return new ApiError(status, isErrorBody(error) ? error : undefined, fallback)
}

/** Message to show for any thrown value (ApiError, network failure, programming error). */
export function errorMessage(err: unknown, fallback: string): string {
  if (err instanceof ApiError) return err.message
  if (err instanceof Error && err.message) return err.message
  return fallback
}
