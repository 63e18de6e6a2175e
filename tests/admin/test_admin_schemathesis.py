"""Schemathesis, driven by the admin API's own OpenAPI document, against a real `postmock
serve`: no operation answers 5xx, and every answer fits the document (status, content type,
body schema). Kept small in the suite (a few examples per operation); for a longer run:
`schemathesis run URL/openapi.json -H 'x-api-key: KEY'`."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.adminkit import run_admin

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = int(os.environ.get("POSTMOCK_FUZZ_EXAMPLES", "6"))  # more for a longer run
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_admin_api_conforms_to_its_openapi(tmp_path: Any) -> None:
    with run_admin(tmp_path) as admin:
        headers = {"x-api-key": admin.key}
        schema = schemathesis.openapi.from_url(admin.url + "/openapi.json", headers=headers)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 30
        calls = 0

        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            def check(case: Any) -> None:
                nonlocal calls
                calls += 1
                case.call_and_validate(base_url=admin.url, headers=headers, timeout=30, checks=CHECKS)

            check()
        print(f"schemathesis: {len(operations)} operations, {calls} calls, no failure")
