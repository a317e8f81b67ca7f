"""消息中心: an inbox per user with live updates and read receipts, targeted push (精准推送) by
user, role, region (with everything below), grid or tag, and delivery to e-mail, 企业微信/钉钉/
飞书 group robots and JSON webhooks through an outbox sent after commit by the job system.

Other modules send with ``messages.service.send(session, scope=..., sender=..., audience=
Audience(...), title=..., body=..., kind=..., link=..., channels=...)`` (or ``send_templated``
with a stored template); see docs/messages.md. The inbox belongs to its user alone.
"""
