import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import './styles/main.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'
import { vAccess } from './directives/access'
import { consumeFragmentToken } from './api/session'

consumeFragmentToken() // before the auth store reads sessionStorage

const app = createApp(App)
app.use(createPinia())
app.use(i18n)
app.use(ElementPlus)
app.use(router)
app.directive('access', vAccess)
app.mount('#app')
