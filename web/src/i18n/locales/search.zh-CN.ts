// Messages of global search (citybrain.search), spread into zh-CN.ts.
const searchZhCN = {
  search: {
    title: '全局检索',
    placeholder: '检索目录、专报、指标…',
    resultsFor: '“{q}” 的检索结果',
    all: '全部',
    none: '没有找到相关内容',
  },
}

export default searchZhCN
