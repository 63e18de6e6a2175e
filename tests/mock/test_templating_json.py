"""A templated JSON body stays JSON: placeholders in strings, in keys and standing alone as values."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postmock_core.exchange import HttpRequest
from postmock_core.matching.examples import Example
from postmock_core.mock.templating import render
from postmock_core.postman.dynamic import DYNAMIC

NASTY = 'quote " backslash \\ newline \n tab \t nul \x00 bell \x07 \u2028 é 😀 }} {{$guid}}'
REQUEST = HttpRequest(
    "POST", path="/users/%22x%22/7", query=[("q", NASTY), ("n", "12"), ("t", "true")],
    headers=[("Content-Type", "application/json"), ("X-Nasty", 'a"b\\c')],
    body=json.dumps({"a": {"b": [1, NASTY, None, {"c": 1.5}]}, "n": -3, "f": False, "s": NASTY,
                     "u": "\ud800 lone surrogate"}).encode("utf-8", "surrogatepass"))
CAPTURES = {"id": "7", "name": NASTY}

HELPERS = ["$body", "$body 'a'", "$body 'a.b'", "$body 'a.b.1'", "$body 'a.b.2'", "$body 'a.b.3.c'",
           "$body 'n'", "$body 'f'", "$body 's'", "$body 'u'", "$body 'missing' 'fallback \"x\"'",
           "$body 'missing'", "$queryParams", "$queryParams 'q'", "$queryParams 'n'", "$queryParams 't'",
           "$pathSegments", "$pathSegments '1'", "$pathSegments '2'", "$headers 'x-nasty'", "$headers"]
OTHERS = ["id", "name", "not captured", "$randomFoo", "$Guid", "$body 'a' junk", "$"]
INNER = st.sampled_from(sorted(DYNAMIC) + HELPERS + OTHERS)


@st.composite
def placeholder(draw: st.DrawFn) -> str:
    pad = draw(st.sampled_from(["", " ", "  "]))
    return "{{" + pad + draw(INNER) + pad + "}}"


@st.composite
def string_literal(draw: st.DrawFn) -> str:
    """A JSON string literal whose content mixes text and placeholders (written JSON-escaped)."""
    parts = draw(st.lists(st.one_of(st.text(max_size=8), placeholder()), max_size=4))
    return json.dumps("".join(parts), ensure_ascii=draw(st.booleans()))


SCALAR = st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                   st.none()).map(json.dumps)
LEAF = st.one_of(SCALAR, string_literal(), placeholder())
KEY = st.one_of(string_literal(), placeholder())
WS = st.sampled_from(["", " ", "\n  "])


def _containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    array = st.tuples(WS, st.lists(children, max_size=4)).map(lambda t: "[" + t[0] + ", ".join(t[1]) + "]")
    obj = st.tuples(WS, st.lists(st.tuples(KEY, WS, children), max_size=4)).map(
        lambda t: "{" + t[0] + ", ".join(f"{k}:{w}{v}" for k, w, v in t[1]) + "}")
    return st.one_of(array, obj)


BODY = _containers(st.recursive(LEAF, _containers, max_leaves=10))


def _render(body: str, ctype: str = "application/json") -> bytes:
    example = Example(id="e", name="json", response_headers=(("Content-Type", ctype),), response_body=body)
    return render(example, REQUEST, CAPTURES).body


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODY)
def test_templated_json_bodies_always_parse(body: str) -> None:
    out = _render(body)
    try:
        json.loads(out)
    except ValueError as e:
        raise AssertionError(f"{e}\ntemplate: {body}\nrendered: {out!r}") from None


def test_values_land_where_the_placeholders_were() -> None:
    body = ('{"s": "<{{$body \'s\'}}>", "n": {{$body \'n\'}}, "obj": {{$body \'a\'}}, "f": {{$body \'f\'}},'
            ' "q": {{$queryParams \'n\'}}, "t": {{$queryParams \'t\'}}, "name": {{name}}, "id": {{id}},'
            ' {{$body \'s\'}}: 1, "{{$headers \'x-nasty\'}}": 2, "i": {{$randomInt}}, "b": {{$randomBoolean}},'
            ' "word": {{$randomFirstName}}, "unknown": {{$randomFoo}}, "kept": "{{$randomFoo}}",'
            ' "para": "{{$randomLoremParagraphs}}", "u": "{{$body \'u\'}}", "esc": "{{$body \\"s\\"}}"}')
    doc = json.loads(_render(body))
    assert doc["s"] == f"<{NASTY}>" and doc["esc"] == NASTY
    assert doc["n"] == -3 and doc["obj"] == {"b": [1, NASTY, None, {"c": 1.5}]} and doc["f"] is False
    assert doc["q"] == 12 and doc["t"] is True  # query text that is a JSON number or literal goes in bare
    assert doc["name"] == NASTY and doc["id"] == 7
    assert doc[NASTY] == 1 and doc['a"b\\c'] == 2
    assert isinstance(doc["i"], int) and isinstance(doc["b"], bool) and isinstance(doc["word"], str)
    assert doc["unknown"] == "{{$randomFoo}}" and doc["kept"] == "{{$randomFoo}}"
    assert doc["para"].count("\n \r") == 2
    assert doc["u"] == "\ud800 lone surrogate"


def test_bodies_that_are_not_json_objects_are_filled_in_as_written() -> None:
    # Postman's plain insertion wherever the body is not a JSON object or array.
    assert _render('say "{{$body \'s\'}}"', "text/plain") == f'say "{NASTY}"'.encode()
    assert _render("{{name}}", "application/json") == NASTY.encode()
    assert _render('{"a": "{{name}}"}', "text/html") == ('{"a": "' + NASTY + '"}').encode()
    # A placeholder glued to other text outside a string goes in as Postman puts it.
    assert json.loads(_render('{"n": -{{$body \'a.b.0\'}}}')) == {"n": -1}
