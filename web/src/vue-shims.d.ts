import type { vAccess } from './directives/access'

declare module 'vue' {
  interface GlobalDirectives {
    vAccess: typeof vAccess
  }
}

export {}
