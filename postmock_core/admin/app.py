"""The admin application: the Postman-shaped API, its OpenAPI document, its reference page and
the dashboard, behind the `Guard` (keys, sessions, Host and Origin checks).

FastAPI, because its pydantic models are the API's contract and its OpenAPI document is
generated from them (so the document cannot drift from the code, and schemathesis can test
the one against the other). Its default /docs page loads Swagger UI from a CDN and would be
blank offline, so it is off; /docs is a reference page rendered here from the same document.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from postmock_core import __version__
from postmock_core.admin import (
    calllogs_api,
    dashboard,
    docs,
    examples_api,
    history_api,
    keys_api,
    library_api,
    mocks_api,
    server_responses_api,
)
from postmock_core.admin.errors import ERROR_RESPONSES, install_error_handlers
from postmock_core.admin.logins import LoginTokens, Sessions
from postmock_core.admin.security import Guard
from postmock_core.history.query import FilterCompiler
from postmock_core.mock.keys import KeyStore
from postmock_core.store.workspace import Workspace

__all__ = ["create_app"]

STATIC = Path(__file__).parent / "static"

_DESCRIPTION = """\
postmock's admin API, in the shape of the Postman API's `/mocks`, `/environments` and
`/collections`, plus postmock's history, examples and API keys. Every request needs an API
key that is not limited to mocks in the `x-api-key` header (`postmock key create`). Writes
take JSON. Errors are `{"error": {"name", "message"}}`. IDs are postmock's plain IDs; Postman
UIDs (`owner-id`) are accepted too.
"""


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title="postmock admin API", version=__version__, description=_DESCRIPTION,
                         routes=app.routes)
    # Validation errors answer 400 in Postman's error shape (see errors.py), never FastAPI's 422.
    for path in schema.get("paths", {}).values():
        for op in path.values():
            op.get("responses", {}).pop("422", None)
            op["security"] = [{"ApiKey": []}]
    comps = schema.setdefault("components", {})
    for name in ("HTTPValidationError", "ValidationError"):
        comps.get("schemas", {}).pop(name, None)
    comps["securitySchemes"] = {"ApiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}}
    app.openapi_schema = schema
    return schema


def create_app(ws: Workspace, *, port: int, compile_filter: FilterCompiler | None = None,
               host_names: Iterable[str] = ()) -> Any:
    """The admin ASGI app for `ws`, served at `port` (the Host header must carry it).

    `compile_filter` turns a mitmproxy filter expression into a predicate (history's `filter`);
    `host_names` are extra host names the Host header may use besides IP addresses and localhost.
    """
    app = FastAPI(title="postmock admin API", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json", responses=ERROR_RESPONSES)
    app.state.workspace = ws
    app.state.compile_filter = compile_filter
    app.state.logins = LoginTokens(ws)
    app.state.sessions = Sessions()
    app.state.stopping = asyncio.Event()
    install_error_handlers(app)
    for module in (mocks_api, calllogs_api, server_responses_api, library_api, examples_api,
                   history_api, keys_api):
        app.include_router(module.router)
    app.include_router(docs.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(Guard, port=port, keys=KeyStore(ws), sessions=app.state.sessions,
                       host_names=host_names)
    return app
