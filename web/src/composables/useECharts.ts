/**
 * The one ECharts wrapper: every chart of citybrain goes through it. It registers the ECharts
 * parts we use (tree-shaken), creates the instance when the element mounts, follows the
 * element's size, and disposes of the instance when the component unmounts.
 */
import { onBeforeUnmount, onMounted, shallowRef, type Ref } from 'vue'
import * as echarts from 'echarts/core'
import { BarChart, HeatmapChart, LineChart, MapChart, PieChart } from 'echarts/charts'
import {
  CalendarComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
import type { ECharts, EChartsCoreOption, SetOptionOpts } from 'echarts/core'

echarts.use([
  MapChart,
  BarChart,
  LineChart,
  PieChart,
  HeatmapChart,
  CalendarComponent,
  TitleComponent,
  TooltipComponent,
  LegendComponent,
  GridComponent,
  VisualMapComponent,
  CanvasRenderer,
])

export type ChartOption = EChartsCoreOption
// GeoJSON as echarts.registerMap takes it.
export type GeoJSONSource = Parameters<typeof echarts.registerMap>[1]
// ECharts types the handler parameters per event name; callers narrow what they read.
export type ChartEventHandler = (params: any) => void

/** Register (or replace) a named map; map series refer to it by ``map: name``. */
export function registerMap(name: string, geoJson: GeoJSONSource): void {
  echarts.registerMap(name, geoJson)
}

export function useECharts(el: Ref<HTMLElement | null | undefined>) {
  const chart = shallowRef<ECharts | null>(null)
  const handlers: Array<[string, ChartEventHandler]> = []
  let pendingOption: [ChartOption, SetOptionOpts | undefined] | null = null
  let observer: ResizeObserver | null = null

  function resize(): void {
    chart.value?.resize()
  }

  function ensure(): ECharts | null {
    if (chart.value || !el.value) return chart.value
    const instance = echarts.init(el.value, undefined, { renderer: 'canvas' })
    for (const [name, handler] of handlers) instance.on(name, handler)
    chart.value = instance
    return instance
  }

  /** Set the chart's option; before mount it is kept and applied on mount. */
  function setOption(option: ChartOption, opts?: SetOptionOpts): void {
    const instance = ensure()
    if (instance) instance.setOption(option, opts)
    else pendingOption = [option, opts]
  }

  function on(event: string, handler: ChartEventHandler): void {
    handlers.push([event, handler])
    chart.value?.on(event, handler)
  }

  function clear(): void {
    chart.value?.clear()
  }

  function showLoading(): void {
    chart.value?.showLoading()
  }

  function hideLoading(): void {
    chart.value?.hideLoading()
  }

  onMounted(() => {
    const instance = ensure()
    if (instance && pendingOption) {
      instance.setOption(pendingOption[0], pendingOption[1])
      pendingOption = null
    }
    if (el.value && typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver(() => resize())
      observer.observe(el.value)
    }
    window.addEventListener('resize', resize)
  })

  onBeforeUnmount(() => {
    window.removeEventListener('resize', resize)
    observer?.disconnect()
    observer = null
    chart.value?.dispose()
    chart.value = null
  })

  return { chart, setOption, on, clear, resize, showLoading, hideLoading }
}
