// The editable shape of a resource (what registering takes) and the conversions to and from it.
import type { ItemSpec, Resource, ResourceCreate, ResourceUpdate } from './api'

export function blankItem(): ItemSpec {
  return { name: '', title: '', type: 'string', length: null, description: '', sensitivity: 'internal', mask: 'none' }
}

export function blankResource(): ResourceCreate {
  return {
    code: '',
    name: '',
    provider_code: '',
    summary: '',
    category: 'department',
    format: '数据库',
    share_type: 'conditional',
    share_condition: '',
    share_basis: '',
    share_method: 'api',
    open_attribute: 'closed',
    update_cycle: 'monthly',
    released_on: null,
    related_codes: [],
    key_item: '',
    version_item: '',
    items: [blankItem()],
  }
}

/** A stored resource as the form edits it (read-only fields dropped, items copied). */
export function toForm(resource: Resource): ResourceCreate {
  return {
    code: resource.code,
    name: resource.name,
    provider_code: resource.provider_code,
    summary: resource.summary,
    category: resource.category,
    format: resource.format,
    share_type: resource.share_type,
    share_condition: resource.share_condition,
    share_basis: resource.share_basis,
    share_method: resource.share_method,
    open_attribute: resource.open_attribute,
    update_cycle: resource.update_cycle,
    released_on: resource.released_on ?? null,
    related_codes: [...(resource.related_codes ?? [])],
    key_item: resource.key_item,
    version_item: resource.version_item,
    items: resource.items.map((i) => ({
      name: i.name,
      title: i.title,
      type: i.type,
      length: i.length ?? null,
      description: i.description,
      sensitivity: i.sensitivity,
      mask: i.mask,
    })),
  }
}

/** The change of an edit: every editable field (the code identifies the resource for good). */
export function toUpdate(form: ResourceCreate): ResourceUpdate {
  const { code: _code, ...fields } = form
  return fields
}

/** Field errors of a 422 answer (``detail`` = [{loc, msg, msg_zh}]) as readable lines; the
 * backend's Chinese wording (``msg_zh``) is preferred where the UI is Chinese. */
export function validationLines(detail: unknown, chinese = true): string[] {
  if (!Array.isArray(detail)) return []
  return detail
    .filter(
      (d): d is { loc: unknown[]; msg: string; msg_zh?: string } =>
        typeof d === 'object' && d !== null && 'msg' in d,
    )
    .map((d) => {
      const where = (Array.isArray(d.loc) ? d.loc : []).filter((p) => p !== 'body').join('.')
      return `${where}: ${chinese && d.msg_zh ? d.msg_zh : d.msg}`
    })
}
