// Messages of the 任务运行 page (citybrain.core.jobs), spread into zh-CN.ts.
const jobsZhCN = {
  jobs: {
    title: '任务运行',
    runsTab: '运行记录',
    schedulesTab: '定时任务',
    job: '任务',
    outcome: '状态',
    missedOnly: '只看漏跑',
    slot: '计划时间',
    queuedAt: '入队时间',
    startedAt: '开始时间',
    finishedAt: '结束时间',
    duration: '耗时',
    attempt: '尝试次数',
    worker: '执行进程',
    args: '参数',
    error: '错误',
    missed: '漏跑',
    missedTip: '此前 {n} 个计划时间未执行，本次已补跑',
    cadence: '周期',
    lastSlot: '上次计划时间',
    lastOutcome: '上次状态',
    nextSlot: '下次计划时间',
    never: '尚未运行',
    outcomes: {
      queued: '排队中',
      running: '运行中',
      retrying: '等待重试',
      ok: '成功',
      failed: '失败',
    },
    units: { ms: '毫秒', s: '秒', min: '分' },
  },
}

export type JobsMessages = typeof jobsZhCN
export default jobsZhCN
