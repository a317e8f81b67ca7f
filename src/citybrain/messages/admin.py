"""Commands of the system administrator on outside channels (secrets encrypted; the address
checked by the platform's outbound rule when saved and again at every delivery) and on failed
deliveries. Each change is audited in the caller's transaction; no audit record ever holds a
secret. Reach: ``reach``."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core import outbound
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.errors import BadInput, Conflict, InvalidState, NotFound
from citybrain.core.scope import Scope
from citybrain.messages import reach, secrets
from citybrain.messages.channels import smtp, webhook
from citybrain.messages.channels.base import ChannelKind, DeliveryError, MessageFormat, SmtpSecurity
from citybrain.messages.config import MessagesSettings
from citybrain.messages.delivery import State, send_test
from citybrain.messages.models import MessageChannel, MessageOutbox
from citybrain.messages.schemas import ChannelCreate, ChannelUpdate
from citybrain.messages.service import check_email, queue_after_commit
from citybrain.regions.scope import is_within

DEFAULT_SMTP_PORTS = {SmtpSecurity.ssl: 465, SmtpSecurity.starttls: 587, SmtpSecurity.none: 25}


# -- channels ----------------------------------------------------------------------------------


def _allowed(settings: Settings) -> tuple[outbound.IPNetwork, ...]:
    return outbound.parse_networks(settings.outbound_allowed_networks)


def _public(channel: MessageChannel) -> dict[str, Any]:
    """What an audit record may say about a channel: never its address's token or a secret."""
    return {
        "name": channel.name,
        "kind": channel.kind,
        "target": channel.target,
        "region_code": channel.region_code,
        "enabled": channel.enabled,
        "settings": json.loads(channel.settings or "{}"),
    }


def _configure(
    kind: ChannelKind, options: dict[str, Any], sealed: dict[str, str], settings: Settings
) -> tuple[dict[str, Any], str]:
    """Check a channel's settings and secrets; (settings to store, target host). Resolves the
    target now (refused addresses fail at once; they are checked again at every delivery)."""
    allowed = _allowed(settings)
    if kind is ChannelKind.email:
        host = str(options.get("smtp_host") or "").strip()
        if not host:
            raise BadInput("请填写邮件服务器地址", code="bad_channel", detail="smtp_host")
        if sealed.get("url"):
            raise BadInput("邮件渠道不需要 Webhook 地址", code="bad_channel", detail="url")
        security = SmtpSecurity(options.get("smtp_security") or SmtpSecurity.ssl)
        port = int(options.get("smtp_port") or DEFAULT_SMTP_PORTS[security])
        sender = check_email(str(options.get("from_address") or ""))
        smtp.check_server(host, port, security, allowed)
        stored = {
            "smtp_host": host,
            "smtp_port": port,
            "smtp_security": security.value,
            "smtp_username": str(options.get("smtp_username") or "").strip(),
            "from_address": sender,
            "from_name": str(options.get("from_name") or "").strip(),
        }
        return stored, host
    url = sealed.get("url", "")
    if not url:
        raise BadInput("请填写机器人或 Webhook 地址", code="bad_channel", detail="url")
    parsed, _ = webhook.check_url(url, allowed)
    if kind is ChannelKind.wecom and sealed.get("secret"):
        raise BadInput(
            "企业微信群机器人没有签名密钥 (密钥在地址的 key 中)",
            code="bad_channel",
            detail="secret",
        )
    fmt = MessageFormat(options.get("format") or MessageFormat.markdown)
    return {"format": fmt.value}, parsed.host


def create_channel(
    session: Session, *, spec: ChannelCreate, scope: Scope, settings: Settings
) -> MessageChannel:
    """Register an outside channel in ``spec.region_code`` (default the caller's, which must
    contain it). Secrets (the robot address, the signing secret, the SMTP password) are stored
    encrypted. Raises BadInput ``bad_channel`` / ``bad_webhook_url`` / ``bad_email`` /
    ``smtp_tls_required``, OutboundRefused (403), HostUnresolvable (422), PermissionDenied
    ``region_out_of_scope``, Conflict ``channel_name_taken``. Audited
    ``messages.channel.create``."""
    region = reach.own_region(scope, spec.region_code, "消息渠道")
    _name_free(session, spec.name)
    sealed = {
        "url": spec.url.get_secret_value().strip() if spec.url else "",
        "secret": spec.secret.get_secret_value() if spec.secret else "",
    }
    options = spec.model_dump(exclude={"url", "secret", "name", "kind", "region_code", "enabled"})
    stored, target = _configure(spec.kind, options, sealed, settings)
    stored["secret_set"] = bool(sealed["secret"])
    now, actor = utcnow(), reach.actor(session)
    channel = MessageChannel(
        name=spec.name,
        kind=spec.kind.value,
        region_code=region,
        settings=json.dumps(stored, ensure_ascii=False),
        target=target[:253],
        secret_token=secrets.seal(settings, sealed),
        enabled=spec.enabled,
        created_by=actor,
        created_at=now,
        updated_by=actor,
        updated_at=now,
    )
    session.add(channel)
    session.flush()
    audit.record(
        session,
        action="messages.channel.create",
        object_type="message_channel",
        object_id=str(channel.id),
        region_code=region,
        detail={
            **_public(channel),
            "url_set": bool(sealed["url"]),
            "secret_set": bool(sealed["secret"]),
        },
    )
    return channel


def _name_free(session: Session, name: str, *, other_than: int | None = None) -> None:
    query = select(func.count()).select_from(MessageChannel).where(MessageChannel.name == name)
    if other_than is not None:
        query = query.where(MessageChannel.id != other_than)
    if session.execute(query).scalar_one():
        raise Conflict(f"渠道名称“{name}”已被使用", code="channel_name_taken", detail=name)


def get_channel(session: Session, *, channel_id: int, scope: Scope) -> MessageChannel:
    """A channel on the caller's line; NotFound ``channel_not_found`` otherwise."""
    row = session.get(MessageChannel, channel_id)
    return reach.visible(row, scope, what="消息渠道", code="channel_not_found", ident=channel_id)


def update_channel(
    session: Session, *, channel_id: int, changes: ChannelUpdate, scope: Scope, settings: Settings
) -> MessageChannel:
    """Change a channel the caller manages; the address and secrets are checked again. Raises
    what :func:`create_channel` raises, and NotFound ``channel_not_found``. Audited
    ``messages.channel.update`` (which fields changed, whether a secret did; never its value)."""
    channel = reach.managed(
        session.get(MessageChannel, channel_id),
        scope,
        what="消息渠道",
        code="channel_not_found",
        ident=channel_id,
    )
    given = changes.model_dump(exclude_unset=True)
    if changes.name is not None and changes.name != channel.name:
        _name_free(session, changes.name, other_than=channel.id)
        channel.name = changes.name
    sealed = secrets.unseal(settings, channel.secret_token)
    url_changed = changes.url is not None
    secret_changed = "secret" in given
    if changes.url is not None:
        sealed["url"] = changes.url.get_secret_value().strip()
    if secret_changed:
        sealed["secret"] = changes.secret.get_secret_value() if changes.secret else ""
    options = {**json.loads(channel.settings or "{}")}
    for key in (
        "format",
        "smtp_host",
        "smtp_port",
        "smtp_security",
        "smtp_username",
        "from_address",
        "from_name",
    ):
        if key in given and given[key] is not None:
            options[key] = given[key]
    stored, target = _configure(ChannelKind(channel.kind), options, sealed, settings)
    stored["secret_set"] = bool(sealed.get("secret"))
    channel.settings = json.dumps(stored, ensure_ascii=False)
    channel.target = target[:253]
    channel.secret_token = secrets.seal(settings, sealed)
    if changes.enabled is not None:
        channel.enabled = changes.enabled
    channel.updated_by, channel.updated_at = reach.actor(session), utcnow()
    session.flush()
    audit.record(
        session,
        action="messages.channel.update",
        object_type="message_channel",
        object_id=str(channel.id),
        region_code=channel.region_code,
        detail={
            **_public(channel),
            "changed": sorted(k for k in given if k not in ("url", "secret")),
            "url_changed": url_changed,
            "secret_changed": secret_changed,
        },
    )
    return channel


def delete_channel(session: Session, *, channel_id: int, scope: Scope) -> None:
    """Delete a channel that never delivered anything (else Conflict ``channel_in_use``: its
    deliveries are history; disable it instead). Audited ``messages.channel.delete``."""
    channel = reach.managed(
        session.get(MessageChannel, channel_id),
        scope,
        what="消息渠道",
        code="channel_not_found",
        ident=channel_id,
    )
    used = session.execute(
        select(func.count())
        .select_from(MessageOutbox)
        .where(MessageOutbox.channel_id == channel.id)
    ).scalar_one()
    if used:
        raise Conflict(
            "该渠道已有投递记录, 不能删除, 请停用", code="channel_in_use", detail=channel_id
        )
    detail = _public(channel)
    session.delete(channel)
    session.flush()
    audit.record(
        session,
        action="messages.channel.delete",
        object_type="message_channel",
        object_id=str(channel_id),
        region_code=detail["region_code"],
        detail=detail,
    )


def test_channel(
    session: Session,
    *,
    channel_id: int,
    scope: Scope,
    settings: Settings,
    config: MessagesSettings,
    email: str | None,
) -> tuple[bool, str, str]:
    """Send a test message through a channel the caller manages, now; (ok, error code, error
    message). Audited ``messages.channel.test`` with the outcome."""
    channel = reach.managed(
        session.get(MessageChannel, channel_id),
        scope,
        what="消息渠道",
        code="channel_not_found",
        ident=channel_id,
    )
    address = check_email(email) if email else None
    try:
        send_test(channel, settings=settings, config=config, email=address)
        result = (True, "", "")
    except DeliveryError as exc:
        result = (False, exc.code, exc.message)
    audit.record(
        session,
        action="messages.channel.test",
        object_type="message_channel",
        object_id=str(channel.id),
        region_code=channel.region_code,
        outcome="success" if result[0] else "failure",
        detail={"name": channel.name, "code": result[1], "error": result[2][:300]},
    )
    return result


# -- deliveries --------------------------------------------------------------------------------


def retry_delivery(session: Session, *, outbox_id: int, scope: Scope) -> MessageOutbox:
    """Queue a ``failed`` delivery again as a new generation (attempts from zero), on a channel
    the caller manages. Raises NotFound ``delivery_not_found``, InvalidState
    ``delivery_not_failed``. Audited ``messages.delivery.retry``; queued after commit."""
    row = session.get(MessageOutbox, outbox_id)
    channel = session.get(MessageChannel, row.channel_id) if row is not None else None
    if (
        row is None
        or channel is None
        or not (scope.unrestricted or is_within(channel.region_code, scope.region_code))
    ):
        raise NotFound(f"投递记录 {outbox_id} 不存在", code="delivery_not_found", detail=outbox_id)
    if row.state != State.failed.value:
        raise InvalidState("只有失败的投递可以重试", code="delivery_not_failed", detail=row.state)
    now = utcnow()
    row.state, row.attempts, row.generation = State.queued.value, 0, row.generation + 1
    row.updated_at = row.next_attempt_at = now
    row.claimed_at = None
    session.flush()
    audit.record(
        session,
        action="messages.delivery.retry",
        object_type="message_outbox",
        object_id=str(row.id),
        region_code=channel.region_code,
        detail={
            "message_id": row.message_id,
            "channel": channel.name,
            "last_error": row.last_error[:300],
        },
    )
    queue_after_commit(session, [(row.id, row.generation)])
    return row
