"""Message templates in Jinja2's sandbox: checked when saved, rendered when sent. Pure.

A template is written by an administrator and rendered with data other modules pass in (a
warning's indicator and value, an event's number). The sandbox already refuses unsafe attributes
when rendering; on top of that a template is refused *when saved* if it reaches for attributes
or internals at all — ``{{ ''.__class__ }}``, ``{{ x._private }}``, an attribute of a literal,
any function or method call, a filter outside :data:`ALLOWED_FILTERS`, ``include``/``import``/
``extends``/``macro`` — so an unsafe template never gets stored, and its author learns why at
once (``template_unsafe``, in Chinese). Variables are plain data (dicts, lists, text, numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from jinja2 import ChainableUndefined, StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from citybrain.core.errors import BadInput

ALLOWED_FILTERS: Final = frozenset(
    {
        "abs", "capitalize", "count", "d", "default", "first", "float", "int", "join", "last",
        "length", "lower", "max", "min", "replace", "round", "sort", "string", "sum", "title",
        "trim", "truncate", "upper", "wordcount",
    }
)  # fmt: skip
MAX_TEMPLATE_CHARS: Final = 20_000
MAX_TITLE_CHARS: Final = 200
MAX_BODY_CHARS: Final = 20_000
_MAX_REPEAT: Final = 10_000  # ``'=' * n`` with a larger n, or ``2 ** n`` with n > 64
_REFUSED_STATEMENTS: Final[dict[type[nodes.Node], str]] = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from import",
    nodes.Macro: "macro",
    nodes.CallBlock: "call",
}

UNSAFE = "template_unsafe"
SYNTAX = "template_syntax"
MISSING = "template_variable_missing"
RENDER_FAILED = "template_render_failed"
TOO_LONG = "template_too_long"


class _Environment(SandboxedEnvironment):
    """The sandbox, with ``*`` and ``**`` watched so that one expression cannot fill memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise SecurityError("exponent too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                repeats = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if repeats and times * max(len(seq), 1) > _MAX_REPEAT:
                    raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


def _environment(undefined: type[Any]) -> _Environment:
    env = _Environment(autoescape=False, undefined=undefined, keep_trailing_newline=False)
    env.globals.clear()  # no range, lipsum, cycler, joiner, namespace, dict
    env.filters = {name: f for name, f in env.filters.items() if name in ALLOWED_FILTERS}
    return env


_CHECKING: Final = _environment(ChainableUndefined)
_RENDERING: Final = _environment(StrictUndefined)


def _refuse(reason: str, detail: str) -> BadInput:
    return BadInput(reason, code=UNSAFE, detail=detail)


def _attribute_name(node: nodes.Getattr | nodes.Getitem) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    arg = node.arg
    return arg.value if isinstance(arg, nodes.Const) and isinstance(arg.value, str) else None


def check_source(source: str, *, field: str) -> None:
    """Refuse a template text that is malformed (``template_syntax``) or reaches for anything
    beyond plain data (``template_unsafe``); see the module doc. ``field`` names the part in
    the messages (标题, 正文)."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise BadInput(f"{field}模板超过 {MAX_TEMPLATE_CHARS} 个字符", code=TOO_LONG, detail=field)
    try:
        tree = _CHECKING.parse(source)
    except TemplateSyntaxError as exc:
        raise BadInput(
            f"{field}模板语法错误 (第 {exc.lineno} 行): {exc.message}",
            code=SYNTAX,
            detail={"field": field, "line": exc.lineno},
        ) from None
    for node in tree.find_all(nodes.Node):
        statement = _REFUSED_STATEMENTS.get(type(node))
        if statement is not None:
            raise _refuse(f"{field}模板不得使用 {statement} 语句", statement)
        if isinstance(node, nodes.Call | nodes.NSRef):
            raise _refuse(f"{field}模板不得调用函数或方法", "call")
        if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            raise _refuse(f"{field}模板使用了不允许的过滤器: {node.name}", node.name)
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            name = _attribute_name(node)
            if name is not None and name.startswith("_"):
                raise _refuse(f"{field}模板不得访问对象的属性或内部成员: {name}", name)
            if isinstance(node.node, nodes.Literal):
                raise _refuse(f"{field}模板不得访问常量的属性或内部成员", name or "literal")


def check(title_template: str, body_template: str) -> None:
    """Check both parts, then render them once with every variable undefined, so that what
    only the sandbox sees at run time (an unsafe operation on data) is refused now as well."""
    check_source(title_template, field="标题")
    check_source(body_template, field="正文")
    for field, source in (("标题", title_template), ("正文", body_template)):
        try:
            _CHECKING.from_string(source).render()
        except SecurityError as exc:
            raise _refuse(f"{field}模板含有不安全的操作: {exc}", str(exc)) from None
        except Exception:  # noqa: S110 - data-dependent (a filter on an undefined
            pass  # value): judged at send time, with the real variables


@dataclass(frozen=True, slots=True)
class Rendered:
    title: str
    body: str


def render(title_template: str, body_template: str, variables: Mapping[str, Any]) -> Rendered:
    """Render a stored template with ``variables``. Every variable the template names must be
    given (``template_variable_missing``); the sandbox refuses unsafe use of the data
    (``template_unsafe``); the result must fit a message (``template_too_long``)."""
    check_source(title_template, field="标题")
    check_source(body_template, field="正文")
    parts = []
    for field, source, limit in (
        ("标题", title_template, MAX_TITLE_CHARS),
        ("正文", body_template, MAX_BODY_CHARS),
    ):
        try:
            text = _RENDERING.from_string(source).render(dict(variables)).strip()
        except SecurityError as exc:
            raise _refuse(f"{field}模板含有不安全的操作: {exc}", str(exc)) from None
        except TemplateError as exc:
            if "undefined" in type(exc).__name__.lower():
                raise BadInput(
                    f"{field}模板缺少变量: {exc.message}", code=MISSING, detail=exc.message
                ) from None
            raise BadInput(
                f"{field}模板渲染失败: {exc.message}", code=RENDER_FAILED, detail=exc.message
            ) from None
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise BadInput(
                f"{field}模板渲染失败: {exc}", code=RENDER_FAILED, detail=str(exc)[:200]
            ) from None
        if len(text) > limit:
            raise BadInput(f"{field}渲染后超过 {limit} 个字符", code=TOO_LONG, detail=field)
        parts.append(text)
    return Rendered(title=parts[0], body=parts[1])
