"""Errors in the Postman API's shape: `{"error": {"name": ..., "message": ...}}`, with the
status that fits, for every failure the admin API can meet."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from postmock_core.errors import NotFoundError, PostmockError

__all__ = ["ERROR_RESPONSES", "ApiError", "ErrorBody", "error_response", "install_error_handlers"]

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    name: str
    message: str


class ErrorBody(BaseModel):
    """Every error: a name scripts can test and a one-line message for people."""

    error: ErrorDetail


# Documented on every operation, so a client (and schemathesis) knows each status it may meet.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad request: a value is missing or wrong"},
    401: {"model": ErrorBody, "description": "No valid API key (x-api-key) or dashboard session"},
    403: {"model": ErrorBody, "description": "Refused: a foreign Host or Origin"},
    404: {"model": ErrorBody, "description": "No such resource"},
    415: {"model": ErrorBody, "description": "A write whose body is not JSON"},
}

_NAMES = {400: "invalidParamsError", 401: "AuthenticationError", 403: "forbiddenError",
          404: "instanceNotFoundError", 405: "methodNotAllowedError", 415: "unsupportedMediaTypeError",
          500: "serverError"}


class ApiError(Exception):
    """An error the API answers with as it is."""

    def __init__(self, status: int, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.name = name or _NAMES.get(status, "error")


def error_response(status: int, message: str, name: str | None = None) -> JSONResponse:
    """The JSON answer for an error."""
    return JSONResponse({"error": {"name": name or _NAMES.get(status, "error"), "message": message}},
                        status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


def _answer(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/ui/"):  # a dashboard page: a page, not JSON
        from postmock_core.admin.dashboard import error_page

        return error_page(request, status, message)
    return error_response(status, message)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error in the Postman shape; 422 validation errors become 400 as in Postman."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, str(exc), exc.name)

    @app.exception_handler(NotFoundError)
    async def _missing(request: Request, exc: NotFoundError) -> Response:
        return _answer(request, 404, " ".join(str(exc).splitlines()))

    @app.exception_handler(PostmockError)
    async def _user(request: Request, exc: PostmockError) -> Response:
        return _answer(request, 400, " ".join(str(exc).splitlines()))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, _validation_message(exc), "malformedRequestError")

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("admin API: unexpected error")
        return error_response(500, f"unexpected error: {type(exc).__name__}; see the server's log")
