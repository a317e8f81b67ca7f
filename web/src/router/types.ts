import 'vue-router'
import type { PermissionRequirement } from '@/stores/auth'

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key of the page title (document title, menu, breadcrumb). */
    title?: string
    /** Permission code(s) from the backend; any one of a list suffices. */
    permission?: PermissionRequirement
    /** Reachable without a session (the login page). */
    public?: boolean
    /** Shown in the side menu, under ``menuGroup`` when given. */
    menu?: boolean
    menuGroup?: string
    /** Element Plus icon component name (from @element-plus/icons-vue). */
    icon?: string
    order?: number
    /** The menu entry to light on a page that has none of its own (a detail page). */
    activeMenu?: string
  }
}

export {}
