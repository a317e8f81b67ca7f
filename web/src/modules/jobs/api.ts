// Calls of the job system (/api/v1/jobs, owned by citybrain.core.jobs).
import { api, unwrap, type Schemas } from '@/api/client'

export type JobRun = Schemas['JobRunRead']
export type JobSchedule = Schemas['ScheduleRead']

export interface JobRunQuery {
  job?: string
  outcome?: string
  missed?: boolean
}

export const jobsApi = {
  runs: (query: JobRunQuery & { page: number; size: number }) =>
    unwrap(api.GET('/api/v1/jobs/runs', { params: { query } })),
  schedules: () => unwrap(api.GET('/api/v1/jobs/schedules')),
  kinds: () => unwrap(api.GET('/api/v1/jobs/kinds')),
}
