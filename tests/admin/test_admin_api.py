"""The admin API through httpx against a real `postmock serve`: mocks, call logs, server
responses, environments, collections, history, examples and keys, in Postman's shapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.adminkit import HAR_DATE, Admin, run_admin, wait_for_mock
from support.mockkit import users_collection
from support.procs import wait_until

pytestmark = pytest.mark.e2e

NOT_FOUND = "instanceNotFoundError"


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    with run_admin(tmp_path_factory.mktemp("admin-api")) as a:
        yield a


@pytest.fixture
def api(admin: Admin) -> Iterator[httpx.Client]:
    with admin.client() as c:
        yield c


def _ok(r: httpx.Response) -> Any:
    assert r.status_code == 200, r.text
    return r.json()


def _error(r: httpx.Response, status: int, name: str | None = None) -> str:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == {"name", "message"} and err["message"]
    if name:
        assert err["name"] == name
    return str(err["message"])


def _collection(api: httpx.Client, name: str) -> str:
    made = _ok(api.post("/collections", json={"collection": users_collection(name)}))
    return str(made["collection"]["id"])


def test_mock_lifecycle_in_postman_shapes(api: httpx.Client) -> None:
    cid = _collection(api, "Lifecycle")
    env = _ok(api.post("/environments", json={"environment": {"name": "life env",
                                                                 "values": [{"key": "who", "value": "x"}]}}))
    made = _ok(api.post("/mocks", json={"mock": {"collection": f"12345678-{cid}", "name": "life",
                                                 "environment": env["environment"]["uid"], "private": True,
                                                 "config": {"delay": {"type": "fixed", "preset": "1"},
                                                            "headers": ["X-Tenant"], "matchBody": True}}}))
    mock = made["mock"]
    assert mock["collection"] == cid and mock["environment"] == env["environment"]["id"]
    assert mock["uid"].endswith("-" + mock["id"]) and mock["mockUrl"].startswith("http://127.0.0.1:")
    assert mock["private"] and not mock["isPublic"] and not mock["deactivated"]
    assert mock["config"]["delay"] == {"type": "fixed", "preset": "1", "duration": 300}
    assert mock["config"]["headers"] == ["x-tenant"] and mock["config"]["matchBody"]
    listed = _ok(api.get("/mocks"))["mocks"]
    assert mock["id"] in [m["id"] for m in listed]
    # Plain ID, UID and name all find it.
    for ref in (mock["id"], mock["uid"], "life"):
        assert _ok(api.get(f"/mocks/{ref}"))["mock"]["id"] == mock["id"]
    updated = _ok(api.put(f"/mocks/{mock['id']}", json={"mock": {
        "name": "life2", "environment": None, "config": {"delay": {"type": "fixed", "duration": 42},
                                                         "matchHeader": False}}}))["mock"]
    assert updated["name"] == "life2" and updated["environment"] is None
    assert updated["config"]["delay"]["duration"] == 42 and updated["config"]["headers"] == []
    assert "cannot change" in _error(api.put(f"/mocks/{mock['id']}", json={"mock": {
        "collection": _collection(api, "Other")}}), 400)
    assert _ok(api.post(f"/mocks/{mock['id']}/publish"))["mock"]["id"] == mock["id"]
    assert _ok(api.get(f"/mocks/{mock['id']}"))["mock"]["isPublic"] is True
    _ok(api.delete(f"/mocks/{mock['id']}/unpublish"))
    assert _ok(api.get(f"/mocks/{mock['id']}"))["mock"]["private"] is True
    gone = _ok(api.delete(f"/mocks/{mock['uid']}"))
    assert gone == {"mock": {"id": mock["id"], "uid": mock["uid"]}}
    _error(api.get(f"/mocks/{mock['id']}"), 404, NOT_FOUND)
    _error(api.delete(f"/mocks/{mock['id']}"), 404, NOT_FOUND)
    _error(api.post("/mocks", json={"mock": {"collection": "no-such-collection"}}), 404, NOT_FOUND)
    _error(api.post("/mocks", json={"mock": {}}), 400, "malformedRequestError")
    _error(api.post("/mocks", content=b"{not json", headers={"content-type": "application/json"}), 400)


def test_call_log_filters_pages_and_includes(api: httpx.Client) -> None:
    cid = _collection(api, "Calls")
    mock = _ok(api.post("/mocks", json={"mock": {"collection": cid, "name": "calls"}}))["mock"]
    wait_for_mock(mock["mockUrl"])
    with httpx.Client(base_url=mock["mockUrl"], trust_env=False, timeout=30) as m:
        assert m.get("/users/1").status_code == 200
        assert m.get("/nowhere").status_code == 404
        assert m.post("/users", json={"name": "Lin"}).status_code == 201
    log = f"/mocks/{mock['id']}/call-logs"
    calls = wait_until(lambda: len(_ok(api.get(log))["call-logs"]) == 3 and _ok(api.get(log)), 15,
                       message="3 logged calls")
    first = calls["call-logs"][0]
    assert calls["meta"] == {"nextCursor": None}
    assert first["request"]["method"] == "POST" and first["response"]["statusCode"] == 201
    assert first["request"]["headers"] is None and first["response"]["body"] is None  # not included
    assert first["responseName"] == "Created" and first["response"]["type"] == "example"
    full = _ok(api.get(log, params={"include": "request.headers,request.body,response.body"}))["call-logs"][0]
    assert any(h["key"].lower() == "content-type" for h in full["request"]["headers"])
    assert full["request"]["body"] == {"mode": "text", "data": '{"name":"Lin"}', "truncatedFrom": None}
    assert '"Lin"' in full["response"]["body"]["data"]
    miss = _ok(api.get(log, params={"responseStatusCode": 404}))["call-logs"]
    assert [c["request"]["path"] for c in miss] == ["/nowhere"]
    assert miss[0]["responseName"] == "No matching requests" and miss[0]["response"]["type"] == "no-match"
    assert [c["request"]["path"] for c in _ok(api.get(log, params={"requestMethod": "get"}))["call-logs"]] \
        == ["/nowhere", "/users/1"]
    assert len(_ok(api.get(log, params={"requestPath": "/USERS/1"}))["call-logs"]) == 1
    assert len(_ok(api.get(log, params={"responseType": "no-match"}))["call-logs"]) == 1
    # Pages: newest first by default, oldest first with direction=asc; the cursor goes on.
    page = _ok(api.get(log, params={"limit": 2}))
    assert [c["request"]["path"] for c in page["call-logs"]] == ["/users", "/nowhere"]
    rest = _ok(api.get(log, params={"limit": 2, "cursor": page["meta"]["nextCursor"]}))
    assert [c["request"]["path"] for c in rest["call-logs"]] == ["/users/1"] and rest["meta"]["nextCursor"] is None
    asc = _ok(api.get(log, params={"sort": "servedAt", "direction": "asc", "limit": 1}))
    assert asc["call-logs"][0]["request"]["path"] == "/users/1"
    nxt = _ok(api.get(log, params={"direction": "asc", "limit": 1, "cursor": asc["meta"]["nextCursor"]}))
    assert nxt["call-logs"][0]["request"]["path"] == "/nowhere"
    one = _ok(api.get(f"{log}/{first['id']}"))["call-log"]
    assert one["response"]["headers"] and one["request"]["body"]["data"] == '{"name":"Lin"}'
    _error(api.get(log, params={"cursor": "garbage"}), 400)
    _error(api.get(log, params={"include": "everything"}), 400)
    _error(api.get(log, params={"since": "not a time"}), 400)
    assert _ok(api.get(log, params={"since": "2999-01-01T00:00:00Z"}))["call-logs"] == []


def test_server_responses_and_activation(api: httpx.Client) -> None:
    cid = _collection(api, "Outages")
    mock = _ok(api.post("/mocks", json={"mock": {"collection": cid, "name": "outage"}}))["mock"]
    base = f"/mocks/{mock['id']}/server-responses"
    sr = _ok(api.post(base, json={"serverResponse": {"name": "down", "statusCode": 503,
                                                     "body": '{"down": true}', "language": "json"}}))
    assert sr["statusCode"] == 503 and sr["language"] == "json" and sr["active"] is False
    assert [r["id"] for r in _ok(api.get(base))] == [sr["id"]]
    _error(api.post(base, json={"serverResponse": {"name": "ok", "statusCode": 200}}), 400)
    wait_for_mock(mock["mockUrl"])
    with httpx.Client(base_url=mock["mockUrl"], trust_env=False, timeout=30) as m:
        assert m.get("/users/1").status_code == 200
        on = _ok(api.put(f"/mocks/{mock['id']}", json={"mock": {"config": {"serverResponseId": sr["id"]}}}))
        assert on["mock"]["config"]["serverResponseId"] == sr["id"]
        reply = m.get("/users/1")
        assert reply.status_code == 503 and reply.json() == {"down": True}
        changed = _ok(api.put(f"{base}/{sr['id']}", json={"serverResponse": {"statusCode": 500, "active": False}}))
        assert changed["statusCode"] == 500 and changed["active"] is False
        assert m.get("/users/1").status_code == 200
    assert _ok(api.get(f"{base}/{sr['id']}"))["statusCode"] == 500
    assert _ok(api.delete(f"{base}/{sr['id']}"))["id"] == sr["id"]
    _error(api.get(f"{base}/{sr['id']}"), 404, NOT_FOUND)


def test_environments_crud(api: httpx.Client) -> None:
    made = _ok(api.post("/environments", json={"environment": {"name": "stage", "values": [
        {"key": "token", "value": "s3", "type": "secret"}, {"key": "off", "value": "1", "enabled": False}]}}))
    env = made["environment"]
    assert env["name"] == "stage" and env["uid"].endswith(env["id"])
    got = _ok(api.get(f"/environments/{env['uid']}"))["environment"]
    assert [(v["key"], v["value"], v["enabled"], v["type"]) for v in got["values"]] == [
        ("token", "s3", True, "secret"), ("off", "1", False, "default")]
    assert env["id"] in [e["id"] for e in _ok(api.get("/environments"))["environments"]]
    _ok(api.put(f"/environments/{env['id']}", json={"environment": {"name": "staging",
                                                                     "values": [{"key": "a", "value": "b"}]}}))
    got = _ok(api.get(f"/environments/{env['id']}"))["environment"]
    assert got["name"] == "staging" and [v["key"] for v in got["values"]] == ["a"]
    _error(api.post("/environments", json={"environment": {"name": "STAGING"}}), 400)
    assert _ok(api.delete(f"/environments/{env['id']}"))["environment"]["id"] == env["id"]
    _error(api.get(f"/environments/{env['id']}"), 404, NOT_FOUND)


def test_collections_crud_in_v21(api: httpx.Client) -> None:
    doc = users_collection("Crud")
    made = _ok(api.post("/collections", json={"collection": doc}))["collection"]
    got = _ok(api.get(f"/collections/{made['uid']}"))["collection"]
    assert got["info"]["schema"].endswith("/v2.1.0/collection.json")
    assert got["info"]["_postman_id"] == made["id"] and len(got["item"]) == len(doc["item"])
    listed = {c["id"]: c for c in _ok(api.get("/collections"))["collections"]}
    assert listed[made["id"]]["examples"] == 6
    doc["item"] = doc["item"][:1]
    doc["info"]["name"] = "Crud v2"
    assert _ok(api.put(f"/collections/{made['id']}", json={"collection": doc}))["collection"]["name"] == "Crud v2"
    assert len(_ok(api.get(f"/collections/{made['id']}"))["collection"]["item"]) == 1
    _error(api.post("/collections", json={"collection": {"info": {"name": "x"}}}), 400)
    _ok(api.delete(f"/collections/{made['id']}"))
    _error(api.get(f"/collections/{made['id']}"), 404, NOT_FOUND)


def test_history_list_show_delete_and_mock_these(api: httpx.Client, admin: Admin) -> None:
    rows = _ok(api.get("/history", params={"date": HAR_DATE}))
    assert len(rows["history"]) == 4 and rows["meta"]["more"] is False
    assert [r["method"] for r in _ok(api.get("/history", params={"method": "POST"}))["history"]] == ["POST"]
    assert len(_ok(api.get("/history", params={"status": "2xx", "host": "api.example.test"}))["history"]) == 2
    assert len(_ok(api.get("/history", params={"filter": "~m POST"}))["history"]) == 1
    assert _ok(api.get("/history", params={"limit": 1}))["meta"]["more"] is True
    _error(api.get("/history", params={"status": "teapot"}), 400)
    _error(api.get("/history", params={"filter": "~nonsense ("}), 400)
    cart = next(r for r in rows["history"] if r["method"] == "POST")
    entry = _ok(api.get(f"/history/{cart['id']}"))["entry"]
    assert entry["request"]["method"] == "POST" and "text" in entry["response"]["body"]
    # Mock these: from a date, collection and mock in one call.
    made = _ok(api.post("/mocks/from-history", json={"collectionName": "Day", "history": {"date": HAR_DATE},
                                                     "mock": {"collection": "", "name": "day"}}))
    assert made["collection"]["examples"] == 3 and made["collection"]["skippedFailed"] == [4]
    assert made["mock"]["collectionName"] == "Day"
    wait_for_mock(made["mock"]["mockUrl"])
    with httpx.Client(base_url=made["mock"]["mockUrl"], trust_env=False, timeout=30) as m:
        reply = m.get("/v1/products", params={"page": "2", "q": "blue shoes"})
        assert reply.status_code == 200, reply.text
    by_ids = _ok(api.post("/mocks/from-history", json={"collectionName": "Cart", "history": {"ids": [cart["id"]]}}))
    assert by_ids["collection"]["requests"] == 1
    _error(api.post("/mocks/from-history", json={"collectionName": "None", "history": {}}), 400)
    _error(api.post("/mocks/from-history", json={"collectionName": "Ghost", "history": {"ids": [999]}}), 404)
    # A failed creation leaves no collection behind.
    assert "Ghost" not in [c["name"] for c in _ok(api.get("/collections"))["collections"]]
    deleted = _ok(api.delete(f"/history/{cart['id']}"))
    assert deleted["history"]["deleted"] == [cart["id"]]
    _error(api.get(f"/history/{cart['id']}"), 404, NOT_FOUND)
    _error(api.delete("/history"), 400)


def test_examples_save_and_edit_reach_the_mock(api: httpx.Client) -> None:
    cid = _collection(api, "Editable")
    mock = _ok(api.post("/mocks", json={"mock": {"collection": cid, "name": "editable"}}))["mock"]
    examples = _ok(api.get(f"/collections/{cid}/examples"))["examples"]
    ada = next(e for e in examples if e["name"] == "Ada")
    shown = _ok(api.get(f"/collections/{cid}/examples/{ada['id']}"))["example"]
    assert shown["code"] == 200 and '"Ada"' in shown["body"] and shown["bodyEncoding"] == "text"
    wait_for_mock(mock["mockUrl"])
    with httpx.Client(base_url=mock["mockUrl"], trust_env=False, timeout=30) as m:
        assert m.get("/users/1").json() == {"id": 1, "name": "Ada"}
        edited = _ok(api.put(f"/collections/{cid}/examples/{ada['id']}", json={"example": {
            "code": 202, "header": [{"key": "Content-Type", "value": "application/json"},
                                    {"key": "X-Edited", "value": "yes"}], "body": '{"id": 1, "name": "Edited"}'}}))
        assert edited["example"]["code"] == 202 and edited["example"]["status"] == "Accepted"
        reply = m.get("/users/1")
        assert reply.status_code == 202 and reply.json()["name"] == "Edited" and reply.headers["x-edited"] == "yes"
    history = _ok(api.get("/history", params={"method": "GET", "status": "200", "limit": 1}))["history"][0]
    saved = _ok(api.post(f"/collections/{cid}/examples", json={"example": {"historyId": history["id"],
                                                                            "name": "From history"}}))
    assert saved["example"]["name"] == "From history"
    _error(api.put(f"/collections/{cid}/examples/{ada['id']}", json={"example": {}}), 400)
    _ok(api.delete(f"/collections/{cid}/examples/{saved['example']['id']}"))
    _error(api.get(f"/collections/{cid}/examples/{saved['example']['id']}"), 404, NOT_FOUND)


def test_keys_create_list_revoke(api: httpx.Client, admin: Admin) -> None:
    made = _ok(api.post("/keys", json={"key": {"name": "temp"}}))["key"]
    assert made["key"].startswith("PMAK-") and made["hint"].endswith(made["key"][-4:])
    listed = _ok(api.get("/keys"))["keys"]
    assert "key" not in next(k for k in listed if k["id"] == made["id"])
    with admin.client(made["key"]) as other:
        assert other.get("/mocks").status_code == 200
        _ok(api.delete(f"/keys/{made['id']}"))
        _error(other.get("/mocks"), 401, "AuthenticationError")
    _error(api.delete("/keys/key-none"), 404, NOT_FOUND)


def test_openapi_and_offline_reference(api: httpx.Client) -> None:
    schema = _ok(api.get("/openapi.json"))
    assert {"/mocks", "/mocks/{mockId}/call-logs", "/mocks/{mockId}/publish", "/mocks/{mockId}/unpublish",
            "/mocks/{mockId}/server-responses/{serverResponseId}", "/environments/{environmentId}",
            "/collections/{collectionId}", "/history", "/keys"} <= set(schema["paths"])
    page = api.get("/docs")
    assert page.status_code == 200 and "/mocks/{mockId}/call-logs" in page.text
    # Offline: nothing but this server's own assets.
    assert "http://" not in page.text.replace("http://127.0.0.1", "") and "https://" not in page.text.split("<main")[0]


