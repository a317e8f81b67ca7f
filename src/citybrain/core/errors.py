"""Domain errors and their HTTP form ``{"code", "message", "detail"}``.

Services raise these; they never raise HTTPException. ``code`` is a stable English identifier
for programs, ``message`` is Chinese for people.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException


class DomainError(Exception):
    status_code = 400
    default_code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.detail = detail


class BadInput(DomainError):
    status_code = 422
    default_code = "invalid_input"


class NotFound(DomainError):
    status_code = 404
    default_code = "not_found"


class Conflict(DomainError):
    status_code = 409
    default_code = "conflict"


class InvalidState(DomainError):
    status_code = 409
    default_code = "invalid_state"


class Unauthenticated(DomainError):
    status_code = 401
    default_code = "unauthenticated"


class PermissionDenied(DomainError):
    status_code = 403
    default_code = "permission_denied"


class TooLarge(DomainError):
    """The request or the file it carries is bigger than the configured limit."""

    status_code = 413
    default_code = "upload_too_large"


class TooManyRequests(DomainError):
    """Too many attempts in a window; ``retry_after`` seconds until the next is allowed."""

    status_code = 429
    default_code = "too_many_attempts"

    def __init__(
        self, message: str, *, retry_after: int, code: str | None = None, detail: Any = None
    ) -> None:
        super().__init__(message, code=code, detail=detail)
        self.retry_after = retry_after


class Locked(DomainError):
    status_code = 423
    default_code = "account_locked"


_HTTP_MESSAGES = {
    404: ("not_found", "请求的资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    401: ("unauthenticated", "请先登录"),
    403: ("permission_denied", "没有权限"),
}


# Chinese wording of pydantic's most common error types; others fall back to a general phrase.
_VALIDATION_ZH = {
    "missing": "缺少必填项",
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为是或否",
    "date_parsing": "日期格式不正确",
    "date_from_datetime_parsing": "日期格式不正确",
    "datetime_parsing": "时间格式不正确",
    "datetime_from_date_parsing": "时间格式不正确",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "greater_than": "数值太小",
    "less_than": "数值太大",
    "enum": "不是允许的取值",
    "literal_error": "不是允许的取值",
    "json_invalid": "JSON 格式不正确",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "too_short": "项数太少",
    "too_long": "项数太多",
    "extra_forbidden": "不允许的字段",
    "value_error": "取值不合法",
}


OUT_OF_RANGE_ZH = "数值超出允许范围"


def validation_message_zh(error_type: str) -> str:
    return _VALIDATION_ZH.get(error_type, "取值不合法")


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "detail": detail}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(
            error_body(exc.code, exc.message, exc.detail), exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {
                "loc": list(err.get("loc", ())),
                "type": err.get("type"),
                "msg": err.get("msg"),
                "msg_zh": validation_message_zh(str(err.get("type", ""))),
            }
            for err in exc.errors()
        ]
        return JSONResponse(error_body("invalid_input", "请求参数不合法", detail), 422)

    # Backstops behind the bounded parameter types of ``core.pagination`` (``RowId``,
    # ``PageParams``): a number too large for a 64-bit column that still reaches the driver is
    # the caller's mistake, not a server error. SQLite's driver raises OverflowError;
    # PostgreSQL answers SQLSTATE 22003 (numeric_value_out_of_range).
    @app.exception_handler(OverflowError)
    async def _overflow(_: Request, exc: OverflowError) -> JSONResponse:
        return JSONResponse(error_body("number_out_of_range", OUT_OF_RANGE_ZH), 422)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if getattr(exc.orig, "sqlstate", None) == "22003" or isinstance(exc.orig, OverflowError):
            return JSONResponse(error_body("number_out_of_range", OUT_OF_RANGE_ZH), 422)
        raise exc

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _HTTP_MESSAGES.get(exc.status_code, ("http_error", "请求失败"))
        return JSONResponse(error_body(code, message, exc.detail), exc.status_code)
