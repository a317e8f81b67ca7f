import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { RouteLocationNormalized } from 'vue-router'
import { buildMenu, isGroup } from '@/layouts/menu'
import { moduleRoutes, routes } from '@/router/routes'
import { guard } from '@/router'
import { saveToken } from '@/api/session'
import { importErrors, type Resource } from '@/modules/datahub/api'
import { scoreTag } from '@/modules/datahub/labels'
import { examplesOf, type QualityReport } from '@/modules/datahub/report'
import { blankResource, toForm, toUpdate, validationLines } from '@/modules/datahub/resource-form'

// What the backend's analyst and viewer roles hold (citybrain.iam.permissions.BUILTIN_ROLES).
const ANALYST = [
  'regions:read', 'catalog:read', 'catalog:manage', 'ingest:run', 'quality:read', 'quality:manage',
  'masterdata:read', 'sharing:request', 'sharing:approve', 'sharing:manage',
]

function datahubMenu(codes: string[]): string[] {
  const group = buildMenu(moduleRoutes, new Set(codes)).find((e) => isGroup(e) && e.title === 'menu.datahub')
  return group && isGroup(group) ? group.items.map((i) => i.path) : []
}

describe('datahub menu', () => {
  it('shows an analyst every datahub page', () => {
    expect(datahubMenu(ANALYST)).toEqual([
      '/datahub/catalog', '/datahub/demands', '/datahub/batches', '/datahub/quality',
      '/datahub/sharing', '/datahub/persons', '/datahub/entities',
    ])
  })

  it('shows a catalogue reader only the catalogue and the demands', () => {
    expect(datahubMenu(['regions:read', 'catalog:read'])).toEqual(['/datahub/catalog', '/datahub/demands'])
  })

  it('opens sharing to any one of its codes', () => {
    expect(datahubMenu(['sharing:approve'])).toEqual(['/datahub/sharing'])
  })

  it('keeps detail pages out of the menu but lights their list entry', () => {
    const detail = moduleRoutes.find((r) => r.name === 'datahub-batch')
    expect(detail?.meta?.menu).toBeFalsy()
    expect(detail?.meta?.activeMenu).toBe('/datahub/batches')
  })
})

describe('the open-data page', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    saveToken(null)
  })

  it('is outside the admin layout and needs no session', async () => {
    const open = routes.find((r) => r.path === '/open')
    expect(open?.meta?.public).toBe(true)
    const to = { path: '/open', fullPath: '/open', name: 'open-data', meta: open?.meta ?? {} } as unknown as RouteLocationNormalized
    expect(await guard(to)).toBe(true)
  })
})

describe('quality report', () => {
  const report: QualityReport = {
    id: 7,
    batch_id: 3,
    resource_code: 'MZ-DB',
    department_code: '620722-MZ',
    total_rows: 3,
    passed_rows: 2,
    failed_rows: 1,
    score: 66.67,
    rules: [
      {
        rule: 'households.type', item: 'households', title: '户数', kind: 'type', label: '数据类型', failed: 1,
        reasons: { not_integer: 1 }, examples: [{ row: 4, value: 'abc', reason: 'not_integer', message: '不是整数' }],
      },
    ],
    fields: [{ item: 'households', title: '户数', failed: 1 }],
    unknown_columns: ['remark'],
    created_at: '2026-12-07T10:00:00',
  }

  it('flattens the examples of every rule for one table', () => {
    expect(examplesOf(report)).toEqual([{ row: 4, value: 'abc', reason: 'not_integer', message: '不是整数', title: '户数', label: '数据类型' }])
    expect(examplesOf({ ...report, rules: [] })).toEqual([])
  })

  it('colours scores', () => {
    expect([scoreTag(100), scoreTag(95), scoreTag(80), scoreTag(79.99), scoreTag(null)]).toEqual(['success', 'success', 'warning', 'danger', 'info'])
  })
})

describe('resource form', () => {
  it('edits every registrable field and sends all but the code as the change', () => {
    const stored: Resource = {
      ...blankResource(),
      code: '620722-GA-001',
      name: '户籍人口信息',
      provider_code: '620722-GA',
      provider_name: '民乐县公安局',
      region_code: '620722',
      status: 'active',
      version: 3,
      updated_at: '2026-11-22T10:00:00Z',
      items: [{ name: 'id_number', title: '公民身份号码', type: 'string', length: 18, description: '', sensitivity: 'sensitive', mask: 'id_number', position: 1 }],
    }
    const form = toForm(stored)
    expect(form.items[0]).not.toHaveProperty('position')
    expect(form).not.toHaveProperty('provider_name')
    const change = toUpdate(form)
    expect(change).not.toHaveProperty('code')
    expect(change.name).toBe('户籍人口信息')
  })

  it('turns a 422 detail into lines and import errors into cells', () => {
    expect(validationLines([{ loc: ['body', 'items', 0, 'name'], msg: 'bad pattern' }, 'junk'])).toEqual(['items.0.name: bad pattern'])
    expect(validationLines('nope')).toEqual([])
    const zh = [{ loc: ['body', 'name'], msg: 'Field required', msg_zh: '缺少必填项' }]
    expect(validationLines(zh)).toEqual(['name: 缺少必填项'])
    expect(validationLines(zh, false)).toEqual(['name: Field required'])
    const cell = { sheet: '信息资源', row: 3, column: '资源代码', message: '格式不正确' }
    expect(importErrors([cell, 5])).toEqual([cell])
    expect(importErrors(undefined)).toEqual([])
  })
})
