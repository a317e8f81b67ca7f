// Calls of the iam module (/api/v1/iam). Types come from the generated schema only.
import { api, unwrap, type Schemas } from '@/api/client'

export type LoginRequest = Schemas['LoginRequest']
export type LoginResult = Schemas['LoginRead']
export type Me = Schemas['MeRead']
export type RoleBrief = Schemas['RoleBrief']
export type UserRead = Schemas['UserRead']
export type UserCreate = Schemas['UserCreate']
export type UserQuery = { q?: string; role?: string; is_active?: boolean; page: number; size: number }
export type RoleRead = Schemas['RoleRead']
export type PermissionRead = Schemas['PermissionRead']
export type DepartmentBrief = Schemas['DepartmentBrief']

const user = (id: number) => ({ params: { path: { user_id: id } } })

export const iamApi = {
  login: (body: LoginRequest) => unwrap(api.POST('/api/v1/iam/login', { body })),
  oidcExchange: (code: string) => unwrap(api.POST('/api/v1/iam/oidc/exchange', { body: { code } })),
  logout: () => unwrap(api.POST('/api/v1/iam/logout')),
  me: () => unwrap(api.GET('/api/v1/iam/me')),
  passwordPolicy: () => unwrap(api.GET('/api/v1/iam/password-policy')),
  changePassword: (body: Schemas['PasswordChange']) => unwrap(api.POST('/api/v1/iam/me/password', { body })),
  totpEnrol: () => unwrap(api.POST('/api/v1/iam/me/totp')),
  totpConfirm: (code: string) => unwrap(api.POST('/api/v1/iam/me/totp/confirm', { body: { code } })),

  listUsers: (query: UserQuery) => unwrap(api.GET('/api/v1/iam/users', { params: { query } })),
  createUser: (body: UserCreate) => unwrap(api.POST('/api/v1/iam/users', { body })),
  disableUser: (id: number) => unwrap(api.POST('/api/v1/iam/users/{user_id}/disable', user(id))),
  enableUser: (id: number) => unwrap(api.POST('/api/v1/iam/users/{user_id}/enable', user(id))),
  unlockUser: (id: number) => unwrap(api.POST('/api/v1/iam/users/{user_id}/unlock', user(id))),
  resetPassword: (id: number) => unwrap(api.POST('/api/v1/iam/users/{user_id}/password-reset', user(id))),
  resetTotp: (id: number) => unwrap(api.POST('/api/v1/iam/users/{user_id}/totp-reset', user(id))),
  setUserRoles: (id: number, roles: string[]) =>
    unwrap(api.PUT('/api/v1/iam/users/{user_id}/roles', { ...user(id), body: { roles } })),
  setUserDepartment: (id: number, departmentCode: string | null) =>
    unwrap(api.PUT('/api/v1/iam/users/{user_id}/department', { ...user(id), body: { department_code: departmentCode } })),
  listDepartments: () => unwrap(api.GET('/api/v1/iam/departments')),

  listRoles: () => unwrap(api.GET('/api/v1/iam/roles')),
  createRole: (body: Schemas['RoleCreate']) => unwrap(api.POST('/api/v1/iam/roles', { body })),
  listPermissions: () => unwrap(api.GET('/api/v1/iam/permissions')),
  setRolePermissions: (name: string, permissions: string[]) =>
    unwrap(api.PUT('/api/v1/iam/roles/{name}/permissions', { params: { path: { name } }, body: { permissions } })),
}

/** A user is locked while ``locked_until`` lies in the future. */
export function isLocked(u: Pick<UserRead, 'locked_until'>, now = new Date()): boolean {
  return u.locked_until !== null && new Date(u.locked_until).getTime() > now.getTime()
}

/** The departments a user of ``regionCode`` may belong to: those inside its region subtree. */
export function departmentsFor(all: readonly DepartmentBrief[], regionCode: string): DepartmentBrief[] {
  const region = regionCode.trim()
  return region ? all.filter((d) => d.region_code.startsWith(region)) : []
}
