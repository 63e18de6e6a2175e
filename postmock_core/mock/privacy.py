"""What a mock never lets out: secret environment values, its callers' secrets, their postmock key.

A mock's own answers may use environment values (that is what they are for), but its 404
explanations, `mock explain` and the call log show the secret ones masked, as `env show` does.
An answer passed through from the real API is logged redacted by history's rules, and whatever
was redacted from the caller's request is cut from everything the log keeps.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from postmock_core.exchange import HttpRequest, HttpResponse
from postmock_core.history.redaction import Redactor, SecretValues
from postmock_core.postman.environments import SECRET_MASK, secret_values

__all__ = ["KEY_NAMES", "environment_masks", "log_view", "mask_data", "without"]

# Where a caller's postmock key travels: never forwarded by a private mock.
KEY_NAMES = ("x-api-key",)

_FOLLOW = Redactor()


def without(request: HttpRequest, names: tuple[str, ...]) -> HttpRequest:
    """`request` without the named headers and query parameters (names in lower case)."""
    if not names:
        return request
    return dataclasses.replace(
        request, headers=[(k, v) for k, v in request.headers if k.lower() not in names],
        query=[(k, v) for k, v in request.query if k.lower() not in names])


def environment_masks(environment: Mapping[str, Any] | None) -> SecretValues:
    """The secret values of an environment, to be shown as `env show` shows them."""
    return SecretValues(secret_values(dict(environment) if environment else None), mask=SECRET_MASK, min_length=1)


def mask_data(data: Any, masks: SecretValues) -> Any:
    """A copy of JSON-like `data` with every masked value masked in its strings."""
    if not masks:
        return data
    copy = json.loads(json.dumps(data))
    stack = [copy]
    while stack:
        node = stack.pop()
        for k, v in list(node.items() if isinstance(node, dict) else enumerate(node)):
            if isinstance(v, str):
                node[k] = masks.scrub(v)
            elif isinstance(v, (dict, list)):
                stack.append(v)
    return copy


def log_view(request: HttpRequest, response: HttpResponse, redactor: Redactor | None = None,
             found: SecretValues | None = None,
             masks: SecretValues | None = None) -> tuple[HttpRequest, HttpResponse]:
    """A call as the log keeps it. `request` is already redacted; `found` holds what was taken
    from it; `redactor` is given for an answer that came from the real API."""
    found = SecretValues() if found is None else found
    if redactor is not None:
        response = redactor.response(response, found=found)
    for values in (found, masks):
        if values:
            request = _FOLLOW.follow_request(request, values)
            response = _FOLLOW.follow_response(response, values)
    return request, response
