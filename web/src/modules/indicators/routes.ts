import type { RouteRecordRaw } from 'vue-router'

// The indicator platform (citybrain.indicators), API prefix /api/v1/indicators.
export const indicatorsRoutes: RouteRecordRaw[] = [
  {
    path: 'indicators',
    name: 'indicators',
    component: () => import('./views/IndicatorsView.vue'),
    meta: { title: 'indicators.title', permission: 'indicators:read', menu: true, icon: 'DataAnalysis', order: 35 },
  },
  {
    path: 'indicators/runs',
    name: 'indicator-runs',
    component: () => import('./views/IndicatorRunsView.vue'),
    meta: { title: 'indicators.runsTitle', permission: 'indicators:read', menu: true, icon: 'Histogram', order: 36 },
  },
  {
    path: 'indicators/warnings',
    name: 'indicator-warnings',
    component: () => import('./views/IndicatorWarningsView.vue'),
    meta: { title: 'indicators.warningsTitle', permission: 'indicators:read', menu: true, icon: 'Bell', order: 38 },
  },
  {
    path: 'indicators/feedback',
    name: 'indicator-feedback',
    component: () => import('./views/IndicatorFeedbackView.vue'),
    meta: {
      title: 'indicators.feedbackTitle',
      permission: ['indicators:feedback', 'indicators:respond'],
      menu: true,
      icon: 'ChatLineSquare',
      order: 39,
    },
  },
  {
    path: 'indicators/review',
    name: 'indicator-review',
    component: () => import('./views/IndicatorReviewView.vue'),
    meta: {
      title: 'indicators.reviewTitle',
      permission: ['indicators:edit', 'indicators:approve'],
      menu: true,
      icon: 'Stamp',
      order: 37,
    },
  },
]
