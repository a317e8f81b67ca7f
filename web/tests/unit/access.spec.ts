import { beforeEach, describe, expect, it } from 'vitest'
import { createApp, defineComponent, h, nextTick, withDirectives } from 'vue'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { satisfies, useAuthStore } from '@/stores/auth'
import { vAccess } from '@/directives/access'
import { buildMenu, isGroup } from '@/layouts/menu'
import { moduleRoutes } from '@/router/routes'
import type { Me } from '@/modules/iam/api'

function user(permissions: string[]): Me {
  return {
    kind: 'user',
    id: 1,
    username: 'wang',
    display_name: '王芳',
    region_code: '620722',
    region_name: '民乐县',
    department_code: null,
    department_name: null,
    roles: [{ name: 'viewer', title_zh: '只读用户' }],
    permissions,
    must_change_password: false,
    totp_setup_required: false,
    totp_enabled: false,
  }
}

describe('satisfies', () => {
  const held = new Set(['regions:read', 'audit:read'])
  it('passes when nothing is required', () => {
    expect(satisfies(held, undefined)).toBe(true)
    expect(satisfies(held, null)).toBe(true)
    expect(satisfies(held, [])).toBe(true)
  })
  it('checks one code exactly', () => {
    expect(satisfies(held, 'regions:read')).toBe(true)
    expect(satisfies(held, 'regions:manage')).toBe(false)
    expect(satisfies(held, 'regions')).toBe(false)
  })
  it('takes any one of a list', () => {
    expect(satisfies(held, ['iam:user_read', 'audit:read'])).toBe(true)
    expect(satisfies(held, ['iam:user_read', 'iam:role_manage'])).toBe(false)
  })
})

describe('auth store', () => {
  beforeEach(() => {
    sessionStorage.clear()
    setActivePinia(createPinia())
  })

  it('grants exactly the codes /me lists', () => {
    const auth = useAuthStore()
    expect(auth.can('regions:read')).toBe(false)
    auth.me = user(['regions:read'])
    expect(auth.can('regions:read')).toBe(true)
    expect(auth.can('iam:user_manage')).toBe(false)
  })

  it('keeps the token and pending steps in sessionStorage and forgets them on clear', () => {
    const auth = useAuthStore()
    auth.setSession('tok-1', { mustChangePassword: true, totpSetupRequired: false })
    expect(sessionStorage.getItem('citybrain.token')).toBe('tok-1')
    setActivePinia(createPinia())
    const again = useAuthStore()
    expect(again.token).toBe('tok-1')
    expect(again.pending.mustChangePassword).toBe(true)
    again.completeStep('mustChangePassword')
    expect(again.pending.mustChangePassword).toBe(false)
    again.clear()
    expect(sessionStorage.getItem('citybrain.token')).toBeNull()
    expect(again.isLoggedIn).toBe(false)
  })
})

describe('v-access', () => {
  let pinia: Pinia

  beforeEach(() => {
    pinia = createPinia()
    setActivePinia(pinia)
  })

  async function mount(required: string | string[]) {
    const Comp = defineComponent({
      setup: () => () => withDirectives(h('button', { id: 'b' }, 'x'), [[vAccess, required]]),
    })
    const root = document.createElement('div')
    const app = createApp(Comp)
    app.use(pinia)
    app.mount(root)
    await nextTick()
    return { button: root.querySelector('#b') as HTMLButtonElement, app }
  }

  it('hides the element without the permission', async () => {
    useAuthStore().me = user(['regions:read'])
    const { button, app } = await mount('iam:user_manage')
    expect(button.style.display).toBe('none')
    expect(button.getAttribute('data-access-denied')).toBe('iam:user_manage')
    app.unmount()
  })

  it('shows the element with the permission, or any of a list', async () => {
    useAuthStore().me = user(['iam:user_manage'])
    const one = await mount('iam:user_manage')
    expect(one.button.style.display).toBe('')
    const any = await mount(['audit:export', 'iam:user_manage'])
    expect(any.button.style.display).toBe('')
    one.app.unmount()
    any.app.unmount()
  })
})

describe('menu', () => {
  it('shows only the entries the permissions allow, grouped', () => {
    const viewer = buildMenu(moduleRoutes, new Set(['regions:read']))
    expect(viewer.map((e) => (isGroup(e) ? e.title : e.path))).toEqual(['/regions'])

    const secadmin = buildMenu(moduleRoutes, new Set(['iam:user_read', 'iam:role_manage', 'regions:read']))
    const group = secadmin.find(isGroup)
    expect(group?.title).toBe('menu.iam')
    expect(group?.items.map((i) => i.path)).toEqual(['/iam/users', '/iam/roles'])

    const reader = buildMenu(moduleRoutes, new Set(['regions:read', 'catalog:read']))
    expect(reader.map((e) => (isGroup(e) ? e.title : e.path))).toEqual(['/regions', 'menu.datahub'])

    const auditor = buildMenu(moduleRoutes, new Set(['audit:read']))
    expect(auditor.map((e) => (isGroup(e) ? e.title : e.path))).toEqual(['/audit'])
  })
})
