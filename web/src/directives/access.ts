import type { Directive, DirectiveBinding } from 'vue'
import { useAuthStore, type PermissionRequirement } from '@/stores/auth'

/**
 * ``v-access="'iam:user_manage'"`` (or a list, any of which suffices) hides an element the user
 * may not use. The backend still checks every call; this only keeps the screen honest.
 */
interface AccessElement extends HTMLElement {
  _accessDisplay?: string
}

function apply(el: AccessElement, binding: DirectiveBinding<PermissionRequirement>): void {
  const allowed = useAuthStore().can(binding.value)
  if (el._accessDisplay === undefined) el._accessDisplay = el.style.display
  el.style.display = allowed ? el._accessDisplay : 'none'
  if (allowed) el.removeAttribute('data-access-denied')
  else el.setAttribute('data-access-denied', typeof binding.value === 'string' ? binding.value : String(binding.value))
}

export const vAccess: Directive<AccessElement, PermissionRequirement> = {
  mounted: apply,
  updated: apply,
}
