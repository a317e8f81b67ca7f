"""Templates in Jinja2's sandbox: a template reaching for attributes or internals is refused when
it is saved (``template_unsafe``, a Chinese message), and rendering refuses unsafe use of data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from messages_cast import Cast
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.errors import BadInput
from citybrain.messages import templates
from citybrain.messages.models import MessageTemplate

UNSAFE = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ value.__class__ }}",
    "{{ value._secret }}",
    "{{ value['__globals__'] }}",
    "{{ value|attr('__class__') }}",
    "{{ ''.upper }}",
    "{{ (1).real }}",
    "{{ value.format(1) }}",
    "{{ range(10) }}",
    "{{ lipsum() }}",
    "{{ cycler(1, 2).next() }}",
    "{% set ns = namespace(a=1) %}{{ ns.a }}",
    "{% include 'other' %}",
    "{% import 'other' as o %}",
    "{% extends 'base' %}",
    "{% macro m() %}x{% endmacro %}{{ m() }}",
    "{{ '=' * 100000 }}",
    "{{ 2 ** 1000 }}",
    "{% filter attr('x') %}y{% endfilter %}",
]
SAFE = [
    ("{{ level }}色预警", {"level": "橙"}, "橙色预警"),
    (
        "{{ indicator.name }} {{ value|round(1) }}",
        {"indicator": {"name": "降雨量"}, "value": 3.14159},
        "降雨量 3.1",
    ),
    (
        "{% for p in places %}{{ p }}{% if not loop.last %}、{% endif %}{% endfor %}",
        {"places": ["南古镇", "洪水镇"]},
        "南古镇、洪水镇",
    ),
    ("{{ note|default('无') }}", {}, "无"),
    ("{{ '%s 人' % count }}", {"count": 3}, "3 人"),
    ("{{ '-' * 3 }}", {}, "---"),
]


@pytest.mark.parametrize("source", UNSAFE)
def test_a_template_reaching_for_internals_is_refused_when_saved(source: str) -> None:
    with pytest.raises(BadInput) as refused:
        templates.check("标题", source)
    assert refused.value.code == "template_unsafe"
    assert "模板" in refused.value.message


@pytest.mark.parametrize(("source", "variables", "expected"), SAFE)
def test_plain_data_templates_render(
    source: str, variables: dict[str, object], expected: str
) -> None:
    templates.check("标题", source)
    assert templates.render("标题", source, variables).body == expected


def test_a_syntax_error_names_its_line() -> None:
    with pytest.raises(BadInput) as refused:
        templates.check("标题", "第一行\n{{ broken }")
    assert refused.value.code == "template_syntax"
    assert refused.value.detail == {"field": "正文", "line": 2}


def test_a_missing_variable_fails_the_send_not_silently() -> None:
    with pytest.raises(BadInput) as refused:
        templates.render("{{ level }}色预警", "正文", {})
    assert refused.value.code == "template_variable_missing"


def test_the_sandbox_still_refuses_what_only_the_data_reveals() -> None:
    """A subscript by a variable passes the save-time check; the sandbox refuses it at render."""
    source = "{{ value[key] }}"
    templates.check("标题", source)
    with pytest.raises(BadInput) as refused:
        templates.render("标题", source, {"value": {}, "key": "__class__"})
    assert refused.value.code == "template_unsafe"
    long = templates.render("标题", "{{ value * n }}", {"value": "ab", "n": 3})
    assert long.body == "ababab"
    with pytest.raises(BadInput):
        templates.render("标题", "{{ value * n }}", {"value": "ab", "n": 10**6})


def test_the_api_refuses_an_unsafe_template_and_stores_nothing(
    client: TestClient, cast: Cast, session: Session
) -> None:
    answer = client.post(
        "/api/v1/messages/templates",
        json={
            "code": "evil",
            "name": "恶意模板",
            "title_template": "通知",
            "body_template": "{{ ''.__class__ }}",
        },
        headers=cast.admin.headers,
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "template_unsafe"
    assert body["message"] == "正文模板不得访问对象的属性或内部成员: __class__"
    assert (
        session.execute(select(MessageTemplate).where(MessageTemplate.code == "evil")).first()
        is None
    )
    actions = session.execute(
        select(AuditRecord.action).order_by(AuditRecord.seq.desc()).limit(5)
    ).scalars()
    assert "messages.template.create" not in set(actions)


def test_template_changes_are_audited_and_checked_again(
    client: TestClient, cast: Cast, session: Session
) -> None:
    api = "/api/v1/messages/templates"
    created = client.post(
        api,
        json={
            "code": "notice.flood",
            "name": "防汛",
            "title_template": "防汛",
            "body_template": "{{ body }}",
        },
        headers=cast.admin.headers,
    )
    assert created.status_code == 201, created.text
    template_id = created.json()["id"]
    refused = client.patch(
        f"{api}/{template_id}",
        json={"body_template": "{{ body.__len__() }}"},
        headers=cast.admin.headers,
    )
    assert refused.json()["code"] == "template_unsafe"
    changed = client.patch(
        f"{api}/{template_id}", json={"name": "防汛通知"}, headers=cast.admin.headers
    )
    assert changed.status_code == 200
    assert client.delete(f"{api}/{template_id}", headers=cast.admin.headers).status_code == 204
    actions = list(
        session.execute(
            select(AuditRecord.action)
            .where(
                AuditRecord.object_type == "message_template",
                AuditRecord.object_id == str(template_id),
            )
            .order_by(AuditRecord.seq)
        ).scalars()
    )
    assert actions == [
        "messages.template.create",
        "messages.template.update",
        "messages.template.delete",
    ]
    sender_cannot = client.post(
        api,
        json={"code": "x", "name": "x", "title_template": "x", "body_template": "x"},
        headers=cast.sender.headers,
    )
    assert sender_cannot.status_code == 403


def test_preview_renders_without_saving(client: TestClient, cast: Cast) -> None:
    answer = client.post(
        "/api/v1/messages/templates/preview",
        json={
            "title_template": "{{ a }}",
            "body_template": "{{ b|upper }}",
            "variables": {"a": "甲", "b": "x"},
        },
        headers=cast.admin.headers,
    )
    assert answer.json() == {"title": "甲", "body": "X"}
