// Messages of the command-centre boards (citybrain.boards), spread into zh-CN.ts.
const boardsZhCN = {
  boards: {
    title: '指挥中心大屏',
    indicators: '{n} 项指标',
    open: '打开大屏',
    screens: '屏端管理',
    addScreen: '登记屏端',
    screenName: '名称',
    region: '区划',
    size: '尺寸',
    rotation: '轮巡',
    rotateSeconds: '轮巡间隔',
    keyPrefix: '密钥前缀',
    lastUsed: '最近使用',
    state: '状态',
    active: '使用中',
    revoke: '吊销',
    revoked: '已吊销',
    revokeConfirm: '吊销屏端“{name}”的密钥? 该屏将立即无法显示大屏。',
    create: '登记',
    keyOnce: '屏端密钥只显示这一次, 请立即配置到屏端电脑',
    address: '大屏地址',
    noIndicators: '该板块暂无已发布的指标',
  },
}

export default boardsZhCN
