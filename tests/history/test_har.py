"""HAR files from browsers and API clients to exchanges, and exchanges back to HAR."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from mitmproxy.io import read_flows_from_paths

from postmock_core.errors import PostmockError
from postmock_core.exchange import Exchange, HttpRequest, HttpResponse
from postmock_core.history.har import exchanges_from_har, looks_like_har, read_har
from postmock_core.history.har_export import to_har

FIXTURES = Path(__file__).parents[1] / "fixtures" / "har"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154"
    "78da63f8cfc0f01f0005000201a5d1a7a20000000049454e44ae426082"
)


def test_chrome_export_http2_pseudo_headers_dropped_and_query_decoded() -> None:
    got = read_har(FIXTURES / "chrome.har")
    first = got.exchanges[0]
    req = first.request
    assert (req.method, req.scheme, req.host, req.port, req.path) == (
        "GET", "https", "api.example.test", 443, "/v1/products")
    assert req.query == [("page", "2"), ("q", "blue shoes")]
    assert [k for k, _ in req.headers] == ["accept", "authorization", "cookie"]
    assert req.http_version == "HTTP/2.0"
    assert first.source == "har" and first.mode == "import"
    assert first.timestamp == dt.datetime(2026, 11, 21, 9, 15, 2, 250000, dt.UTC).timestamp()
    assert first.duration_ms == 42.125
    # The browser decoded the brotli body: the header that says otherwise must go.
    assert first.response is not None
    assert first.response.header("content-encoding") is None
    assert json.loads(first.response.body)["items"][0]["name"] == "Blue shoe"


def test_chrome_binary_body_failed_entry_and_data_url() -> None:
    got = read_har(FIXTURES / "chrome.har")
    assert got.skipped == {"not http(s)": 1}  # the data: URL
    assert len(got.exchanges) == 4
    image = got.exchanges[2]
    assert image.response is not None and image.response.body == PNG
    failed = got.exchanges[3]
    assert failed.response is None
    assert failed.error == "net::ERR_CONNECTION_REFUSED"
    post = got.exchanges[1]
    assert post.request.method == "POST"
    assert json.loads(post.request.body)["quantity"] == 2


def test_firefox_decoded_gzip_body_keeps_text_and_fixes_length() -> None:
    got = read_har(FIXTURES / "firefox.har")
    js = got.exchanges[0]
    assert js.response is not None
    body = js.response.body
    assert body.decode("utf-8").startswith("function hello(){return 'héllo wörld';}")
    assert js.response.header("content-encoding") is None
    assert js.response.header("content-length") == str(len(body))
    # -08:00 offset honoured
    assert js.timestamp == dt.datetime(2026, 11, 21, 9, 15, 0, 120000, dt.UTC).timestamp()


def test_firefox_missing_image_body_is_marked_truncated() -> None:
    got = read_har(FIXTURES / "firefox.har")
    logo = got.exchanges[1]
    assert logo.response is not None and logo.response.body == b""
    assert logo.truncated == ["response.body"]
    assert got.exchanges[0].truncated == []
    assert got.exchanges[2].truncated == []  # an empty 302 body is not missing


def test_firefox_form_params_become_urlencoded_body() -> None:
    login = read_har(FIXTURES / "firefox.har").exchanges[2]
    assert login.request.body == b"user=ann&password=s3cret"
    assert login.request.query == [("next", "/cart")]
    assert login.response is not None and login.response.status == 302


def test_insomnia_multipart_params_and_explicit_port() -> None:
    ex = read_har(FIXTURES / "insomnia.har").exchanges[0]
    assert (ex.request.host, ex.request.port, ex.request.scheme) == ("127.0.0.1", 8765, "http")
    body = ex.request.body.decode()
    assert body.startswith("--X-INSOMNIA-BOUNDARY\r\n")
    assert 'name="avatar"; filename="a.txt"' in body and "\r\nAnn\r\n" in body
    assert body.endswith("--X-INSOMNIA-BOUNDARY--\r\n")


def test_still_compressed_body_is_decoded() -> None:
    ex = read_har(FIXTURES / "charles.har").exchanges[0]
    assert ex.response is not None
    assert ex.response.body == b'{"compressed":true}'
    assert ex.response.header("content-encoding") is None
    assert ex.response.header("content-length") == str(len(ex.response.body))
    assert ex.request.port == 8443


@pytest.mark.parametrize(("data", "where", "problem"), [
    ({"entries": []}, "$.log", "missing"),
    ({"log": {"entries": {}}}, "$.log.entries", "expected an array"),
    ({"log": {"entries": [{"startedDateTime": "2026-11-21T00:00:00Z"}]}}, "$.log.entries[0].request",
     "missing"),
    ({"log": {"entries": [{"startedDateTime": "2026-11-21T00:00:00Z",
                           "request": {"method": "GET"}}]}}, "$.log.entries[0].request.url", "missing"),
    ({"log": {"entries": [{"startedDateTime": "yesterday", "request": {
        "method": "GET", "url": "http://a.test/"}}]}}, "$.log.entries[0].startedDateTime",
     "not an ISO 8601 time"),
    ({"log": {"entries": [{"startedDateTime": "2026-11-21T00:00:00Z", "request": {
        "method": "GET", "url": "http://a.test/", "headers": [{"value": "x"}]}}]}},
     "$.log.entries[0].request.headers[0].name", "missing"),
    ({"log": {"entries": [{"startedDateTime": "2026-11-21T00:00:00Z", "request": {
        "method": "GET", "url": "http://a.test/"}, "response": {"status": "200"}}]}},
     "$.log.entries[0].response.status", "expected a number"),
])
def test_bad_har_names_file_path_and_problem(tmp_path: Path, data: object, where: str,
                                             problem: str) -> None:
    path = tmp_path / "bad.har"
    path.write_text(json.dumps(data))
    with pytest.raises(PostmockError) as e:
        read_har(path)
    message = str(e.value)
    assert "\n" not in message
    assert str(path) in message and f"{where}: {problem}" in message


def test_invalid_json_is_reported_with_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.har"
    path.write_text('{"log": {"entries": [\n  {"request": }\n]}}')
    with pytest.raises(PostmockError, match=r"broken\.har: \$: not valid JSON \(line 2"):
        read_har(path)


def test_bom_and_zlib_compressed_har(tmp_path: Path) -> None:
    import zlib

    text = (FIXTURES / "insomnia.har").read_bytes()
    bom = tmp_path / "bom.har"
    bom.write_bytes(b"\xef\xbb\xbf" + text)
    zhar = tmp_path / "x.zhar"
    zhar.write_bytes(zlib.compress(text, 9))
    assert looks_like_har(bom.read_bytes()[:16]) and looks_like_har(zhar.read_bytes()[:16])
    assert len(read_har(bom).exchanges) == 1
    assert len(read_har(zhar).exchanges) == 1


T0 = dt.datetime(2026, 11, 21, 9, 46, 40, tzinfo=dt.UTC).timestamp()


def _sample() -> list[Exchange]:
    return [
        Exchange(
            request=HttpRequest(method="POST", scheme="https", host="api.example.test", port=443,
                                path="/v1/items", query=[("q", "a b"), ("page", "2")],
                                headers=[("Content-Type", "application/json"),
                                         ("Cookie", "sid=[REDACTED]; theme=dark")],
                                body=b'{"name":"caf\xc3\xa9"}'),
            response=HttpResponse(status=201, reason="Created",
                                  headers=[("Content-Type", "application/json"),
                                           ("Set-Cookie", "sid=[REDACTED]; Path=/")],
                                  body=b'{"id":1}'),
            timestamp=T0 + 0.125, duration_ms=12.5, id=7,
        ),
        Exchange(
            request=HttpRequest(method="GET", scheme="http", host="127.0.0.1", port=8080,
                                path="/logo.png"),
            response=HttpResponse(status=200, reason="OK", headers=[("Content-Type", "image/png")],
                                  body=PNG),
            timestamp=T0 + 1, duration_ms=3.0, id=8,
        ),
        Exchange(
            request=HttpRequest(method="PUT", scheme="http", host="127.0.0.1", port=8080,
                                path="/upload", headers=[("Content-Type", "application/octet-stream")],
                                body=b"\x00\x01\xfe\xff"),
            response=None, error="connection refused", timestamp=T0 + 2, id=9,
        ),
    ]


def test_round_trip_through_har_keeps_requests_and_bodies() -> None:
    original = _sample()
    har = json.loads(json.dumps(to_har(original)))
    assert har["log"]["version"] == "1.2"
    entry, image, failed = har["log"]["entries"]
    assert entry["startedDateTime"] == "2026-11-21T09:46:40.125Z"
    assert entry["request"]["cookies"] == [{"name": "sid", "value": "[REDACTED]"},
                                           {"name": "theme", "value": "dark"}]
    assert entry["response"]["cookies"] == [{"name": "sid", "value": "[REDACTED]"}]
    assert entry["response"]["content"] == {"size": 8, "mimeType": "application/json",
                                            "text": '{"id":1}'}
    assert image["response"]["content"]["encoding"] == "base64"
    assert failed["response"]["status"] == 0 and failed["response"]["_error"] == "connection refused"
    back = exchanges_from_har(har).exchanges
    for a, b in zip(original, back, strict=True):
        assert b.request.url == a.request.url
        assert b.request.body == a.request.body
        assert b.request.headers == a.request.headers
        assert b.timestamp == pytest.approx(a.timestamp, abs=0.001)
        assert (b.response.body if b.response else None) == (a.response.body if a.response else None)
    assert back[2].error == "connection refused"


def test_exported_har_loads_in_mitmproxy(tmp_path: Path) -> None:
    path = tmp_path / "out.har"
    path.write_text(json.dumps(to_har(_sample())))
    flows = read_flows_from_paths([str(path)])
    assert [f.request.url for f in flows] == [
        "https://api.example.test/v1/items?q=a%20b&page=2",
        "http://127.0.0.1:8080/logo.png",
        "http://127.0.0.1:8080/upload",
    ]
    assert flows[0].response.status_code == 201
    assert flows[0].request.get_text() == '{"name":"café"}'
    assert flows[1].response.content == PNG
    assert base64.b64decode(json.loads(path.read_text())["log"]["entries"][2]["request"]
                            ["postData"]["text"]) == b"\x00\x01\xfe\xff"


def test_streamed_har_is_the_same_document() -> None:
    from postmock_core.history.har_export import iter_har

    text = "".join(iter_har(_sample()))
    assert json.loads(text) == json.loads(json.dumps(to_har(_sample())))
    assert len(text.splitlines()) == 2 + 3  # one line per entry
    assert json.loads("".join(iter_har([])))["log"]["entries"] == []
