// Calls of the 人口库 review queue (/api/v1/masterdata/review, persons' records and split, the
// linkage model). Values of persons arrive masked; every read of a pair is audited server-side.
import { api, unwrap, type Schemas } from '@/api/client'

export type ReviewPairSummary = Schemas['ReviewPairSummary']
export type ReviewPairDetail = Schemas['ReviewPairDetail']
export type ReviewSide = Schemas['ReviewSide']
export type ReviewDecision = Schemas['ReviewDecisionRead']
export type SourceRecord = Schemas['SourceRecordRead']
export type LinkageModelStatus = Schemas['LinkageModelStatus']
export type ReviewStatus = Schemas['ReviewStatus']

export interface ReviewQuery {
  status?: ReviewStatus
  page: number
  size: number
}

export const reviewApi = {
  pairs: (query: ReviewQuery) => unwrap(api.GET('/api/v1/masterdata/review', { params: { query } })),
  pair: (id: number) => unwrap(api.GET('/api/v1/masterdata/review/{pair_id}', { params: { path: { pair_id: id } } })),
  /** 合并: the two masters become one (the smaller id survives). */
  merge: (id: number, note: string) =>
    unwrap(api.POST('/api/v1/masterdata/review/{pair_id}/merge', { params: { path: { pair_id: id } }, body: { note } })),
  /** 不是同一人: remembered, so no later run merges them. */
  apart: (id: number, note: string) =>
    unwrap(api.POST('/api/v1/masterdata/review/{pair_id}/apart', { params: { path: { pair_id: id } }, body: { note } })),
  records: (masterId: string) =>
    unwrap(api.GET('/api/v1/masterdata/persons/{master_id}/records', { params: { path: { master_id: masterId } } })),
  split: (masterId: string, sourceRecordIds: string[], note: string) =>
    unwrap(
      api.POST('/api/v1/masterdata/persons/{master_id}/split', {
        params: { path: { master_id: masterId } },
        body: { source_record_ids: sourceRecordIds, note },
      }),
    ),
  model: () => unwrap(api.GET('/api/v1/masterdata/model')),
  retrain: () => unwrap(api.POST('/api/v1/masterdata/model/retrain')),
}
