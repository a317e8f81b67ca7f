import type { JobsMessages } from './jobs.zh-CN'

// Typed as the zh-CN jobs messages: a missing key is a type error.
const jobsEnUS: JobsMessages = {
  jobs: {
    title: 'Job runs',
    runsTab: 'Runs',
    schedulesTab: 'Schedules',
    job: 'Job',
    outcome: 'Status',
    missedOnly: 'Missed only',
    slot: 'Scheduled for',
    queuedAt: 'Queued',
    startedAt: 'Started',
    finishedAt: 'Finished',
    duration: 'Duration',
    attempt: 'Attempts',
    worker: 'Worker',
    args: 'Arguments',
    error: 'Error',
    missed: 'Missed',
    missedTip: '{n} earlier scheduled time(s) did not run; this run caught up',
    cadence: 'Cadence',
    lastSlot: 'Last scheduled time',
    lastOutcome: 'Last status',
    nextSlot: 'Next scheduled time',
    never: 'Not run yet',
    outcomes: {
      queued: 'Queued',
      running: 'Running',
      retrying: 'Retrying',
      ok: 'Succeeded',
      failed: 'Failed',
    },
    units: { ms: 'ms', s: 's', min: 'min' },
  },
}

export default jobsEnUS
