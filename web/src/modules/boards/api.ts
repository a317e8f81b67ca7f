// Calls of the command-centre boards (/api/v1/boards, owned by citybrain.boards).
import { api, unwrap, type Schemas } from '@/api/client'
import { toApiError } from '@/api/errors'

export type BoardNavItem = Schemas['BoardNavItem']
export type BoardData = Schemas['BoardData']
export type BoardTile = Schemas['BoardTile']
export type Screen = Schemas['ScreenRead']
export type ScreenCreated = Schemas['ScreenCreated']
export type ScreenCreate = Schemas['ScreenCreate']

export const boardsApi = {
  list: () => unwrap(api.GET('/api/v1/boards')),
  screens: () => unwrap(api.GET('/api/v1/boards/screens')),
  createScreen: (body: ScreenCreate) => unwrap(api.POST('/api/v1/boards/screens', { body })),
  revokeScreen: (id: number) =>
    unwrap(api.POST('/api/v1/boards/screens/{screen_id}/revoke', { params: { path: { screen_id: id } } })),
  currentScreen: () => unwrap(api.GET('/api/v1/boards/screens/current')),
  /** The board's data, or null when unchanged since ``etag`` (304). */
  async data(code: string, region: string | undefined, etag: string | null): Promise<{ data: BoardData; etag: string } | null> {
    const { data, error, response } = await api.GET('/api/v1/boards/{code}/data', {
      params: { path: { code }, query: { region } },
      headers: etag ? { 'If-None-Match': etag } : {},
    })
    if (response.status === 304) return null
    if (!response.ok || error !== undefined || !data) throw toApiError(response.status, error, '请求失败')
    return { data, etag: response.headers.get('ETag') ?? '' }
  },
}
