"""The flow adapter decodes every Content-Encoding, stacked ones too, before redaction sees a body."""

from __future__ import annotations

import gzip
import json

from mitmproxy.test import tflow

from postmock_core.history.redaction import Redactor
from postmock_core.mitm.flows import exchange_from_flow


def test_gzip_twice_is_decoded_and_then_redacted() -> None:
    flow = tflow.tflow(resp=True)
    flow.response.headers["content-type"] = "application/json"
    flow.response.headers["content-encoding"] = "gzip, gzip"
    flow.response.raw_content = gzip.compress(gzip.compress(b'{"access_token": "twice-zipped-secret"}'))
    ex = exchange_from_flow(flow)
    assert json.loads(ex.response.body) == {"access_token": "twice-zipped-secret"}
    assert ex.response.header("content-encoding") is None
    stored = Redactor().exchange(ex)
    assert b"twice-zipped-secret" not in stored.response.body


def test_an_unknown_coding_keeps_its_bytes_and_header_for_the_redactor_to_refuse() -> None:
    flow = tflow.tflow(resp=True)
    flow.response.headers["content-encoding"] = "x-custom"
    flow.response.raw_content = b"password=raw-secret"
    ex = exchange_from_flow(flow)
    assert ex.response.body == b"password=raw-secret" and ex.response.header("content-encoding") == "x-custom"
    assert Redactor().exchange(ex).response.body == b""
