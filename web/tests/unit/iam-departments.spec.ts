import { describe, expect, it } from 'vitest'
import { departmentsFor, type DepartmentBrief } from '@/modules/iam/api'

const all: DepartmentBrief[] = [
  { code: '620722-GA', name: '民乐县公安局', region_code: '620722' },
  { code: '620722100-SF', name: '洪水镇司法所', region_code: '620722100' },
  { code: '510903-GA', name: '船山区公安分局', region_code: '510903' },
]

describe('departmentsFor', () => {
  it('offers only the departments inside the user region subtree', () => {
    expect(departmentsFor(all, '620722').map((d) => d.code)).toEqual(['620722-GA', '620722100-SF'])
    expect(departmentsFor(all, '620722100').map((d) => d.code)).toEqual(['620722100-SF'])
    expect(departmentsFor(all, '510903').map((d) => d.code)).toEqual(['510903-GA'])
  })

  it('offers nothing before a region is typed', () => {
    expect(departmentsFor(all, ' ')).toEqual([])
  })
})
