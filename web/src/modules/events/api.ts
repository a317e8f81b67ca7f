// Calls of 事件 (/api/v1/events, owned by citybrain.events).
import { api, unwrap, type Schemas, type paths } from '@/api/client'

export type EventDetail = Schemas['EventRead']
export type EventSummary = Schemas['EventSummary']
export type EventCategory = Schemas['EventCategoryRead']
export type CitizenReport = Schemas['EventCitizenReport']
export type EventAction = Schemas['EventTransition']['action']
export type EventQuery = NonNullable<paths['/api/v1/events']['get']['parameters']['query']>

const one = (id: number) => ({ params: { path: { event_id: id } } })

export const eventsApi = {
  list: (query: EventQuery) => unwrap(api.GET('/api/v1/events', { params: { query } })),
  get: (id: number) => unwrap(api.GET('/api/v1/events/{event_id}', one(id))),
  act: (id: number, action: EventAction, comment = '', departmentCode: string | null = null) =>
    unwrap(
      api.POST('/api/v1/events/{event_id}/transitions', {
        ...one(id),
        body: { action, comment, department_code: departmentCode },
      }),
    ),
  categories: (scheme?: string) =>
    unwrap(api.GET('/api/v1/events/categories', { params: { query: { scheme } } })),
  report: (body: CitizenReport) => unwrap(api.POST('/api/v1/events/citizen', { body })),
  track: (code: string) =>
    unwrap(api.GET('/api/v1/events/track/{code}', { params: { path: { code } } })),
}
