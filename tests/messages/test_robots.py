"""The group robots' formats and signatures, against vectors computed outside Python
(``openssl dgst -sha256 -hmac``), so a wrong key/message order in our code cannot agree with
itself."""

from __future__ import annotations

from dataclasses import replace

import pytest

from citybrain.messages.channels import robots
from citybrain.messages.channels.base import ChannelKind, MessageFormat, Outgoing

ITEM = Outgoing(
    message_id=7,
    kind="warning",
    kind_title="预警",
    title="红色预警: 日降雨量",
    body="南古镇 58.3 mm\n请立即巡查",
    link="https://cb.example.gov.cn/events/12",
    sender="analyst1",
    sent_at="2026-12-08T09:00:00+08:00",
)


def test_dingtalk_sign_matches_openssl() -> None:
    # printf '1700000000000\nSECabc123' | openssl dgst -sha256 -hmac 'SECabc123' -binary | base64
    assert (
        robots.dingtalk_sign("SECabc123", 1700000000000)
        == "N5P09a4+p1AMJIJWnIvQd2Yxw9+fu/oEBnPrjCcsLXk="
    )


def test_feishu_sign_matches_openssl() -> None:
    # printf '' | openssl dgst -sha256 -binary \
    #     -hmac "$(printf '1700000000\nfeishu-secret')" | base64
    assert (
        robots.feishu_sign("feishu-secret", 1700000000)
        == "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU="
    )


def test_generic_signature_matches_openssl() -> None:
    # printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'hook-secret'
    expected = "sha256=2ca9484d0c409cd2998fd115eb688d50af3c4591f30a5124d6262b43877ed809"
    assert robots.webhook_signature("hook-secret", 1700000000, b'{"a":1}') == expected


def test_dingtalk_markdown_puts_the_signature_in_the_query() -> None:
    request = robots.dingtalk(
        ITEM, MessageFormat.markdown, secret="SECabc123", now_ms=1700000000000
    )
    assert request.params == {
        "timestamp": "1700000000000",
        "sign": robots.dingtalk_sign("SECabc123", 1700000000000),
    }
    assert request.body["msgtype"] == "markdown"
    assert request.body["markdown"]["title"] == ITEM.title
    assert "[查看详情](https://cb.example.gov.cn/events/12)" in request.body["markdown"]["text"]
    unsigned = robots.dingtalk(ITEM, MessageFormat.text, secret="", now_ms=1)
    assert unsigned.params == {}
    assert unsigned.body["text"]["content"].startswith("【预警】红色预警")


def test_feishu_puts_the_signature_in_the_body() -> None:
    request = robots.feishu(ITEM, MessageFormat.markdown, secret="feishu-secret", now_s=1700000000)
    assert request.body["timestamp"] == "1700000000"
    assert request.body["sign"] == robots.feishu_sign("feishu-secret", 1700000000)
    post = request.body["content"]["post"]["zh_cn"]
    assert post["title"] == ITEM.title
    assert post["content"][-1] == [{"tag": "a", "text": "查看详情", "href": ITEM.link}]
    text = robots.feishu(ITEM, MessageFormat.text, secret="", now_s=1)
    assert text.body == {"msg_type": "text", "content": {"text": text.body["content"]["text"]}}


def test_wecom_cuts_to_its_byte_limits() -> None:
    item = replace(ITEM, body="雨" * 3000)
    markdown = robots.wecom(item, MessageFormat.markdown).body["markdown"]["content"]
    text = robots.wecom(item, MessageFormat.text).body["text"]["content"]
    assert len(markdown.encode()) <= robots.WECOM_MARKDOWN_BYTES
    assert len(text.encode()) <= robots.WECOM_TEXT_BYTES
    assert text.endswith("…")


@pytest.mark.parametrize(
    ("kind", "answer", "expected"),
    [
        (ChannelKind.dingtalk, b'{"errcode":0,"errmsg":"ok"}', None),
        (
            ChannelKind.dingtalk,
            b'{"errcode":310000,"errmsg":"sign not match"}',
            (310000, "sign not match"),
        ),
        (
            ChannelKind.wecom,
            b'{"errcode":93000,"errmsg":"invalid webhook url"}',
            (93000, "invalid webhook url"),
        ),
        (ChannelKind.feishu, b'{"code":0,"msg":"success","data":{}}', None),
        (ChannelKind.feishu, b'{"StatusCode":0,"StatusMessage":"success"}', None),
        (ChannelKind.feishu, b'{"code":19021,"msg":"sign match fail"}', (19021, "sign match fail")),
        (ChannelKind.wecom, b"<html>gateway</html>", (-1, "<html>gateway</html>")),
    ],
)
def test_robot_answers_are_read_for_their_error_code(
    kind: ChannelKind, answer: bytes, expected: tuple[int, str] | None
) -> None:
    assert robots.robot_error(kind, answer) == expected
