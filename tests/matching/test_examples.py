"""Reading a collection's examples: URLs, variables, wildcards, bodies, unreadable examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from postmock_core.store.blobs import BlobStore
from postmock_core.matching.examples import load_examples


def _doc(*items: dict[str, Any], variables: dict[str, str] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"info": {"name": "t"}, "item": list(items)}
    if variables:
        doc["variable"] = [{"key": k, "value": v} for k, v in variables.items()]
    return doc


def _item(name: str, request: Any, *responses: Any) -> dict[str, Any]:
    return {"name": name, "request": request, "response": list(responses)}


def test_document_order_location_and_generated_ids() -> None:
    doc = _doc({"name": "Users", "item": [
        _item("Get user", {"method": "get", "url": "https://api.io/users/1"},
              {"name": "ok", "code": 200, "body": "{}"}, {"id": "uuid-1", "name": "gone", "code": 404})]},
        _item("Health", {"url": "/health"}, {"name": "up"}))
    exs = load_examples(doc)
    assert [(e.id, e.name, e.order) for e in exs] == [("000001", "ok", 1), ("uuid-1", "gone", 2),
                                                      ("000003", "up", 3)]
    assert exs[0].location == ("Users", "Get user") and exs[0].where == "Users / Get user / ok"
    assert exs[0].method == "GET"  # the item's request, upper-cased, when there is no originalRequest
    assert exs[2].status == 200 and exs[2].method == "GET"


def test_structured_url_wins_and_a_base_url_path_comes_first() -> None:
    url = {"raw": "{{baseUrl}}/ignored", "host": ["{{baseUrl}}"], "path": ["payments", ":ref", "captures"],
           "variable": [{"key": "ref", "value": ""}],
           "query": [{"key": "a", "value": "1"}, {"key": "b", "value": "x%20y", "disabled": True},
                     {"key": "flag", "value": None}]}
    doc = _doc(_item("p", {"method": "POST", "url": url}, {"name": "e", "originalRequest": {"method": "POST", "url": url}}),
               variables={"baseUrl": "https://checkout.example.com/v71"})
    (e,) = load_examples(doc)
    assert e.path == ("v71", "payments", "{{ref}}", "captures")
    assert e.wildcards == frozenset({2})  # `:ref` without a value is a wildcard
    assert e.query == (("a", "1", False), ("b", "x y", True), ("flag", None, False))
    assert e.url == "https://checkout.example.com/v71/ignored"


def test_raw_url_path_params_and_trailing_slash() -> None:
    url = {"raw": "http://h/users/:id/{{section}}/?q=1&x", "variable": [{"key": "id", "value": "42"}]}
    (e,) = load_examples(_doc(_item("u", {"url": url}, {"name": "e"})))
    assert e.path == ("users", "42", "{{section}}") and e.trailing_slash
    assert e.wildcards == frozenset({2})
    assert e.query == (("q", "1", False), ("x", None, False))
    assert e.url_variables == (("id", "42"),)


def test_paths_without_variables_are_decoded_and_split_like_any_other() -> None:
    url = {"raw": "https://api.io/ignored", "host": ["api.io"],
           "path": ["Files", "a%2Fb", "x/y", "v1:batch", ""],
           "query": [{"key": "q+1", "value": "a%20b"}, {"key": "plain", "value": "c"}]}
    (e,) = load_examples(_doc(_item("f", {"url": url}, {"name": "e"})))
    assert e.path == ("Files", "a/b", "x", "y", "v1:batch") and e.trailing_slash
    assert e.wildcards == frozenset()
    assert e.query == (("q 1", "a b", False), ("plain", "c", False))


def test_plain_path_lists_split_like_a_path_text() -> None:
    # No variable and no `:`: the document's segments are used as they are, with the same
    # result as splitting the joined path (empty segments kept, trailing ones a trailing slash).
    cases = {("", "a", "b"): (("", "a", "b"), False),
             ("users", "", ""): (("users",), True),
             ("x/y", "z"): (("x", "y", "z"), False),
             ("a%20b", ""): (("a b",), True),
             ("", ""): ((), False),
             ("",): ((), False)}
    for segs, (path, ts) in cases.items():
        (e,) = load_examples(_doc(_item("p", {"url": {"host": ["h.io"], "path": list(segs)}}, {"name": "e"})))
        assert (e.path, e.trailing_slash) == (path, ts), segs


def test_text_after_the_last_variable_is_kept_as_written() -> None:
    urls = ["{{base}}/users/1?x=}", "{{base}}/{{id}}/x{", "{{base}}}/a", "{{base}}"]
    items = [_item(f"r{i}", {"url": {"raw": u}}, {"name": f"e{i}"}) for i, u in enumerate(urls)]
    exs = load_examples(_doc(*items, variables={"base": "http://h/{{v}}", "v": "v2", "id": "7"}))
    assert [e.url for e in exs] == ["http://h/v2/users/1?x=}", "http://h/v2/7/x{", "http://h/v2}/a",
                                    "http://h/v2"]


def test_examples_with_the_same_headers_share_one_copy() -> None:
    # At 100k examples one copy of each header list is megabytes less to make and keep.
    req = {"url": "/a", "header": [{"key": "Accept", "value": "application/json"}]}
    exs = load_examples(_doc(*(_item(f"r{i}", req, {"name": f"e{i}", "header": [{"key": "Accept",
                                                                               "value": "application/json"}]})
                               for i in range(3))))
    assert exs[0].request_headers == (("Accept", "application/json"),)
    assert all(e.request_headers is exs[0].request_headers for e in exs)
    assert all(e.response_headers is exs[0].request_headers for e in exs)


def test_shared_variables_fill_every_example_alike() -> None:
    item = {"name": "Users", "item": [
        _item(f"u{i}", {"url": {"raw": "{{base}}/users/{{id}}", "host": ["{{base}}"],
                                "path": ["users", "{{id}}"]},
                        "header": [{"key": "X-Tenant", "value": "{{tenant}}"}]},
              {"name": f"e{i}", "header": [{"key": "X-Tenant", "value": "{{tenant}}"}]})
        for i in range(3)]}
    exs = load_examples(_doc(item, variables={"base": "https://h.io/api", "tenant": "acme"}))
    for e in exs:
        assert e.path == ("api", "users", "{{id}}") and e.wildcards == frozenset({2})
        assert e.request_headers == (("X-Tenant", "acme"),)
        assert e.response_headers == (("X-Tenant", "acme"),)
        assert e.url == "https://h.io/api/users/{{id}}"


def test_environment_overrides_collection_everywhere() -> None:
    req = {"method": "POST", "url": "{{host}}/{{res}}", "header": [{"key": "X-Key", "value": "{{key}}"},
                                                                   {"key": "Off", "value": "1", "disabled": True}],
           "body": {"mode": "raw", "raw": '{"k": "{{key}}"}', "options": {"raw": {"language": "json"}}}}
    doc = _doc(_item("r", req, {"name": "e", "originalRequest": req, "header": "X-Out: {{key}}\nBad line",
                                "body": "key={{key}} id={{id}}"}),
               variables={"host": "http://h", "res": "items", "key": "collection"})
    env = {"values": [{"key": "key", "value": "environment", "enabled": True}]}
    (e,) = load_examples(doc, env)
    assert e.path == ("items",)
    assert e.request_headers == (("X-Key", "environment"),)
    assert e.response_headers == (("X-Out", "environment"),)
    assert e.response_body == "key=environment id={{id}}"  # unknown names stay for captures
    assert e.request_body is not None and e.request_body.media == "application/json"
    assert e.request_body.key == ("json", '{"k":"environment"}')


def test_body_modes() -> None:
    bodies = {
        "urlencoded": {"mode": "urlencoded", "urlencoded": [{"key": "b", "value": "2"}, {"key": "a", "value": "1"}]},
        "formdata": {"mode": "formdata", "formdata": [{"key": "f", "type": "file", "src": "x"},
                                                      {"key": "t", "value": "v", "type": "text"}]},
        "graphql": {"mode": "graphql", "graphql": {"query": "{ me }", "variables": '{"x": 1}'}},
        "file": {"mode": "file", "file": {"src": "a.bin"}},
        "text": {"mode": "raw", "raw": "hello"},
        "disabled": {"mode": "raw", "raw": "x", "disabled": True},
    }
    doc = _doc(*(_item(k, {"method": "POST", "url": "/x", "body": b}, {"name": k}) for k, b in bodies.items()))
    got = {e.name: e.request_body for e in load_examples(doc)}
    assert got["urlencoded"] is not None and got["urlencoded"].key == ("form", (("a", "1"), ("b", "2")))
    assert got["formdata"] is not None and got["formdata"].key == ("multipart", (("f", None), ("t", "v")))
    assert got["graphql"] is not None and got["graphql"].key == ("json", '{"query":"{ me }","variables":{"x":1}}')
    assert got["file"] is not None and got["file"].key is None
    assert got["text"] is not None and got["text"].media == "text/plain"
    assert got["disabled"] is None


def test_unreadable_examples_are_kept_with_a_reason() -> None:
    doc = _doc(_item("r", {"url": "/x"}, "not an object", {"name": "code", "code": "OK"},
                     {"name": "body", "body": {"json": True}}, {"name": "url", "originalRequest": {"url": 5}},
                     {"name": "headers", "originalRequest": {"url": "/x", "header": {"a": 1}}},
                     {"name": "fine", "id": "keep"}))
    exs = load_examples(doc)
    errors = {e.name: e.error for e in exs}
    assert errors["fine"] is None
    assert "status code" in (errors["code"] or "")
    assert "not text" in (errors["body"] or "")
    assert errors["url"] and errors["headers"] and errors[""]
    assert [e.id for e in exs] == ["000001", "000002", "000003", "000004", "000005", "keep"]


def test_binary_bodies_come_from_the_blob_store(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    sha = blobs.put(b"\x89PNG\x00\xff")
    doc = _doc(_item("img", {"url": "/logo.png"}, {"name": "png", "body": "", "_postmock": {"bodyBlob": sha}},
                     {"name": "lost", "body": "", "_postmock": {"bodyBlob": "ab" * 32}}))
    png, lost = load_examples(doc, blobs=blobs)
    assert png.body == b"\x89PNG\x00\xff"
    assert lost.error is not None and "missing" in lost.error


def test_messy_inputs_do_not_fail() -> None:
    doc = {"item": [None, {"name": "folder", "item": "not a list"}, _item("r", "https://h/a/b", {"name": "e"}),
                    {"name": "no responses", "request": {"url": "/x"}}]}
    (e,) = load_examples(doc)
    assert e.path == ("a", "b") and e.error is None
    assert load_examples({}) == []
