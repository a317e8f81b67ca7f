import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import './styles/main.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'
import { vAccess } from './directives/access'
import { savePending, saveToken, takeOidcCode } from './api/session'
import { iamApi } from './modules/iam/api'

// An OIDC sign-in comes back with a one-time code; trade it for the session before the auth
// store reads sessionStorage. A refused code (used, expired) leaves the user on the login page.
async function collectOidcSession(): Promise<void> {
  const code = takeOidcCode()
  if (!code) return
  try {
    const session = await iamApi.oidcExchange(code)
    saveToken(session.token)
    savePending({
      mustChangePassword: session.must_change_password,
      totpSetupRequired: session.totp_setup_required,
    })
  } catch {
    saveToken(null)
  }
}

function mount(): void {
  const app = createApp(App)
  app.use(createPinia())
  app.use(i18n)
  app.use(ElementPlus)
  app.use(router)
  app.directive('access', vAccess)
  app.mount('#app')
}

void collectOidcSession().finally(mount)
