import type searchZhCN from './search.zh-CN'

const searchEnUS: typeof searchZhCN = {
  search: {
    title: 'Search',
    placeholder: 'Search catalog, reports, indicators…',
    resultsFor: 'Results for “{q}”',
    all: 'All',
    none: 'Nothing found',
  },
}

export default searchEnUS
