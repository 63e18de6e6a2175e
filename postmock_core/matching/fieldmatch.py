"""Query parameters scored and listed headers compared, the way Postman's mock does.

Query: a *match* is a key/value pair present on both sides; a *partial* is a key on both sides
whose values differ; a *missing* parameter is on one side only. All match: +10; some match:
+10 x matches / (matches + partial + missing); none match: minus the missing count, at most 10.
An example value that is exactly an unresolved `{{var}}` matches any value and captures it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from postmock_core.postman.variables import whole_variable

__all__ = ["headers_match", "score_query"]

Param = tuple[str, str | None]


def score_query(example: Sequence[Param], request: Sequence[tuple[str, str]]
                ) -> tuple[float, str, dict[str, str]]:
    """(score adjustment, reason, captures) for the example's enabled query parameters."""
    if not example and not request:
        return 0.0, "no query parameters", {}
    left = list(request)
    unmatched: list[Param] = []
    caps: dict[str, str] = {}
    matches = partial = missing = 0
    for key, value in example:
        want = "" if value is None else value
        var = whole_variable(want) if "{{" in want else None
        for i, (rk, rv) in enumerate(left):
            if rk == key and (rv == want or var is not None):
                if var is not None:
                    caps[var] = rv
                matches += 1
                del left[i]
                break
        else:
            unmatched.append((key, value))
    for key, _ in unmatched:
        for i, (rk, _rv) in enumerate(left):
            if rk == key:
                partial += 1
                del left[i]
                break
        else:
            missing += 1
    missing += len(left)
    if not partial and not missing:
        return 10.0, f"query: all {matches} match", caps
    total = matches + partial + missing
    if matches:
        return (round(10.0 * matches / total, 4),
                f"query: {matches} of {total} match ({partial} differ, {missing} missing)", caps)
    return (-float(min(missing, 10)),
            f"query: none match ({partial} differ, {missing} missing)", caps)


def headers_match(names: Sequence[str], example: Mapping[str, str],
                  request: Mapping[str, str]) -> tuple[bool, str]:
    """Whether the listed headers (lower-case names) agree; `example`/`request` are keyed by
    lower-case name. An example value that is an unresolved `{{var}}` accepts any value."""
    for name in names:
        want, got = example.get(name), request.get(name)
        if want is None and got is None:
            continue
        if want is None:
            return False, f"header {name!r}: the example does not have it"
        if got is None:
            return False, f"header {name!r}: the request does not have it"
        if want.strip() == got.strip() or whole_variable(want.strip()) is not None:
            continue
        return False, f"header {name!r} differs: example {want!r}, request {got!r}"
    return True, ""
