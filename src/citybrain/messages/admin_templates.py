"""Commands of the system administrator on what senders reuse: message templates (checked in
the Jinja2 sandbox when saved, ``templates``) and push tags (named lists of accounts). Each
change is audited in the caller's transaction. Reach: ``reach``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.errors import Conflict
from citybrain.core.scope import Scope
from citybrain.messages import audience as audiences
from citybrain.messages import reach, templates
from citybrain.messages.models import MessageTag, MessageTagMember, MessageTemplate
from citybrain.messages.schemas import TagCreate, TemplateCreate, TemplateUpdate

# -- templates ---------------------------------------------------------------------------------


def _template_detail(row: MessageTemplate) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "kind": row.kind,
        "region_code": row.region_code,
        "title_template": row.title_template[:500],
        "body_template": row.body_template[:2000],
    }


def create_template(session: Session, *, spec: TemplateCreate, scope: Scope) -> MessageTemplate:
    """Store a template after the sandbox check (``templates.check``). Raises BadInput
    ``template_unsafe`` / ``template_syntax`` / ``template_too_long``, Conflict
    ``template_code_taken``, PermissionDenied ``region_out_of_scope``. Audited."""
    region = reach.own_region(scope, spec.region_code, "消息模板")
    templates.check(spec.title_template, spec.body_template)
    taken = session.execute(
        select(MessageTemplate.id).where(MessageTemplate.code == spec.code)
    ).first()
    if taken is not None:
        raise Conflict(
            f"模板代码“{spec.code}”已被使用", code="template_code_taken", detail=spec.code
        )
    now, actor = utcnow(), reach.actor(session)
    row = MessageTemplate(
        code=spec.code,
        name=spec.name,
        kind=spec.kind.value,
        region_code=region,
        title_template=spec.title_template,
        body_template=spec.body_template,
        created_by=actor,
        created_at=now,
        updated_by=actor,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="messages.template.create",
        object_type="message_template",
        object_id=str(row.id),
        region_code=region,
        detail=_template_detail(row),
    )
    return row


def update_template(
    session: Session, *, template_id: int, changes: TemplateUpdate, scope: Scope
) -> MessageTemplate:
    row = reach.managed(
        session.get(MessageTemplate, template_id),
        scope,
        what="消息模板",
        code="template_not_found",
        ident=template_id,
    )
    title = changes.title_template if changes.title_template is not None else row.title_template
    body = changes.body_template if changes.body_template is not None else row.body_template
    templates.check(title, body)
    row.title_template, row.body_template = title, body
    if changes.name is not None:
        row.name = changes.name
    if changes.kind is not None:
        row.kind = changes.kind.value
    row.updated_by, row.updated_at = reach.actor(session), utcnow()
    session.flush()
    audit.record(
        session,
        action="messages.template.update",
        object_type="message_template",
        object_id=str(row.id),
        region_code=row.region_code,
        detail=_template_detail(row),
    )
    return row


def delete_template(session: Session, *, template_id: int, scope: Scope) -> None:
    row = reach.managed(
        session.get(MessageTemplate, template_id),
        scope,
        what="消息模板",
        code="template_not_found",
        ident=template_id,
    )
    detail = _template_detail(row)
    session.delete(row)
    session.flush()
    audit.record(
        session,
        action="messages.template.delete",
        object_type="message_template",
        object_id=str(template_id),
        region_code=detail["region_code"],
        detail=detail,
    )


# -- tags --------------------------------------------------------------------------------------


def _set_members(session: Session, tag: MessageTag, user_ids: list[int], scope: Scope) -> int:
    members = audiences.check_users(session, tuple(user_ids), scope)
    session.execute(delete(MessageTagMember).where(MessageTagMember.tag_id == tag.id))
    session.add_all(MessageTagMember(tag_id=tag.id, user_id=u) for u in members)
    session.flush()
    return len(members)


def create_tag(session: Session, *, spec: TagCreate, scope: Scope) -> MessageTag:
    """A push tag with its members (active accounts inside the caller's region). Raises
    PermissionDenied ``region_out_of_scope`` / ``audience_out_of_scope``. Audited."""
    region = reach.own_region(scope, spec.region_code, "推送标签")
    tag = MessageTag(
        name=spec.name,
        region_code=region,
        description=spec.description,
        created_by=reach.actor(session),
        created_at=utcnow(),
    )
    session.add(tag)
    session.flush()
    count = _set_members(session, tag, spec.user_ids, scope)
    audit.record(
        session,
        action="messages.tag.create",
        object_type="message_tag",
        object_id=str(tag.id),
        region_code=region,
        detail={"name": tag.name, "members": count},
    )
    return tag


def set_tag_members(
    session: Session, *, tag_id: int, user_ids: list[int], scope: Scope
) -> MessageTag:
    tag = reach.managed(
        session.get(MessageTag, tag_id), scope, what="推送标签", code="tag_not_found", ident=tag_id
    )
    count = _set_members(session, tag, user_ids, scope)
    audit.record(
        session,
        action="messages.tag.members",
        object_type="message_tag",
        object_id=str(tag.id),
        region_code=tag.region_code,
        detail={"name": tag.name, "members": count, "user_ids": user_ids[:200]},
    )
    return tag


def delete_tag(session: Session, *, tag_id: int, scope: Scope) -> None:
    tag = reach.managed(
        session.get(MessageTag, tag_id), scope, what="推送标签", code="tag_not_found", ident=tag_id
    )
    detail = {"name": tag.name, "region_code": tag.region_code}
    session.delete(tag)
    session.flush()
    audit.record(
        session,
        action="messages.tag.delete",
        object_type="message_tag",
        object_id=str(tag_id),
        region_code=detail["region_code"],
        detail=detail,
    )
