"""`/docs`: the API's reference page, rendered on the server from the OpenAPI document.

FastAPI's own /docs (Swagger UI) loads its scripts from a CDN, so it is blank offline; this
page needs nothing but this server.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from postmock_core.admin.dashboard import templates

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items') or {})}"
    if "anyOf" in schema:
        return " or ".join(_schema_name(s) for s in schema["anyOf"])
    return str(schema.get("type", "object"))


def _body_schema(op: dict[str, Any]) -> str | None:
    content = ((op.get("requestBody") or {}).get("content") or {}).get("application/json")
    return _schema_name(content["schema"]) if content else None


def _reply_schema(op: dict[str, Any]) -> str:
    content = ((op.get("responses") or {}).get("200") or {}).get("content", {}).get("application/json")
    return _schema_name(content["schema"]) if content else "-"


def _ticks(text: str) -> Markup:
    """Escaped text with `code` spans, as the descriptions write them."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts)))


templates.env.filters["ticks"] = _ticks


@router.get("/docs", response_class=HTMLResponse)
def reference(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            params = [{"name": p["name"], "where": p["in"], "required": p.get("required", False),
                       "type": _schema_name(p.get("schema") or {}), "about": p.get("description", "")}
                      for p in op.get("parameters", [])]
            groups.setdefault((op.get("tags") or ["other"])[0], []).append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "params": params, "body": _body_schema(op), "reply": _reply_schema(op),
                "anchor": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
            })
    models = {name: s for name, s in sorted(schema["components"]["schemas"].items())}
    return templates.TemplateResponse(request, "docs.html", {
        "groups": groups, "models": models, "info": schema["info"], "schema_name": _schema_name,
        "page": "docs"})
