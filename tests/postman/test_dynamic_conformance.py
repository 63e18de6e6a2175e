"""Every dynamic variable of the installed Postman Collection SDK is replaced, in the SDK's shape.

The list and the reference values come from the SDK itself, through `node`: a variable Postman
adds in a new SDK release fails here until postmock knows it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from postmock_core.exchange import HttpRequest
from postmock_core.mock.templating import render_text
from postmock_core.postman.dynamic import DYNAMIC

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "tests" / "node" / "dynamic_samples.js"
NODE = shutil.which("node")
SAMPLES = 500  # values from the SDK, for each variable
OURS = 200  # postmock's values checked against them

pytestmark = pytest.mark.skipif(
    NODE is None,
    reason="SKIPPED LOUDLY: `node` is not installed, so the dynamic variables are NOT checked against "
           "Postman's Collection SDK; install Node.js and run scripts/test (it runs npm ci)")

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
JS_DATE = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d\d \d{4} \d\d:\d\d:\d\d GMT[+-]\d{4} \(.+\)"
URL = r"https?://[^\s/]+(/\S*)?"
LOREM = r"[a-z]+"

# Shapes every SDK sample has, so every postmock value must have them too.
PATTERNS: dict[str, str] = {
    "$guid": UUID, "$randomUUID": UUID,
    "$timestamp": r"\d{10}",
    "$isoTimestamp": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
    "$randomInt": r"0|[1-9]\d{0,2}|1000",
    "$randomPhoneNumber": r"\d{3}-\d{3}-\d{4}",
    "$randomPhoneNumberExt": r"\d{1,2}-\d{3}-\d{3}-\d{4}",
    "$randomLocale": r"[a-z]{2,3}",
    "$randomDirectoryPath": r"(/[\w+.-]+)+",
    "$randomFilePath": r"(/[\w+.-]+)+/[\w-]+\.\w+",
    "$randomCountryCode": r"[A-Z]{2}",
    "$randomLatitude": r"-?\d{1,2}\.\d{4}",
    "$randomLongitude": r"-?\d{1,3}\.\d{4}",
    "$randomDatePast": JS_DATE, "$randomDateFuture": JS_DATE, "$randomDateRecent": JS_DATE,
    "$randomBankAccount": r"\d{8}",
    "$randomCreditCardMask": r"\d{4}",
    "$randomPrice": r"\d{1,4}\.\d{2}",
    "$randomCurrencyCode": r"[A-Z]{3}",
    "$randomBitcoin": r"[13][1-9A-HJ-NP-Za-km-z]{24,33}",
    "$randomBankAccountIban": r"[A-Z]{2}\d{2}[A-Z0-9]{11,27}",
    "$randomBankAccountBic": r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?",
    "$randomAvatarImage": URL, "$randomImageUrl": URL,
    "$randomImageDataUri": r"data:image/svg\+xml;charset=UTF-8,%3Csvg\S+",
    "$randomEmail": r"[\w.+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}",
    "$randomExampleEmail": r"[\w.+'-]+@example\.(com|net|org)",
    "$randomUserName": r"[\w.'-]+",
    "$randomProtocol": r"https?",
    "$randomUrl": URL,
    "$randomDomainName": r"[\w-]+\.[a-z]{2,}",
    "$randomDomainSuffix": r"[a-z]{2,}",
    "$randomIP": r"(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}",
    "$randomIPV6": r"[0-9a-f]{4}(:[0-9a-f]{4}){7}",
    "$randomUserAgent": r"[A-Za-z]+/[\d.]+.*\(.+\).*",
    "$randomHexColor": r"#[0-9a-f]{6}",
    "$randomMACAddress": r"[0-9a-f]{2}(:[0-9a-f]{2}){5}",
    "$randomPassword": r"\w{15}",
    "$randomLoremWord": LOREM,
    "$randomLoremWords": rf"{LOREM}( {LOREM}){{2}}",
    "$randomLoremSlug": rf"{LOREM}(-{LOREM}){{2}}",
    "$randomLoremSentence": r"[A-Z][a-z]*( [a-z]+)+\.",
    "$randomLoremParagraphs": r"[^\n\r]+\n \r[^\n\r]+\n \r[^\n\r]+",
    "$randomBoolean": r"true|false",
    "$randomAlphaNumeric": r"[a-z0-9]",
    "$randomFileName": r"[\w-]+\.\w+",
    "$randomCommonFileName": r"[\w-]+\.\w+",
    "$randomMimeType": r"[a-z-]+/[\w.+-]+",
    "$randomCommonFileExt": r"[a-z0-9]+",
    "$randomFileExt": r"[a-z0-9-]+",
    "$randomSemver": r"\d\.\d\.\d",
}
# Image URLs point at live image services, not at Postman's (gone) placeimg.com, so their
# length differs; Postman's data URI says "undefinedxundefined", postmock's "640x480". Faker's
# MIME types are the common ones, the SDK's any of the thousands in mime-db.
OTHER_LENGTH = {n for n in DYNAMIC if n.endswith("Image")} | {
    "$randomImageUrl", "$randomImageDataUri", "$randomMimeType"}


@cache
def sdk_samples() -> dict[str, dict[str, Any]]:
    if not (ROOT / "node_modules" / "postman-collection").is_dir():
        pytest.fail("node_modules/postman-collection is missing: run `npm ci` (scripts/test does it)")
    proc = subprocess.run([NODE or "node", str(SCRIPT), str(SAMPLES)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    samples: dict[str, dict[str, Any]] = json.loads(proc.stdout)
    return samples


REQUEST = HttpRequest("GET", path="/")


def ours(name: str) -> Iterator[str]:
    """postmock's values for `name`, rendered the way a mock renders them (seeded, to be stable)."""
    for seed in range(OURS):
        yield render_text("{{" + name + "}}", REQUEST, {}, seed=seed)


CLASSES = {"digit": re.compile(r"\d"), "lower": re.compile(r"[^\W\d_A-Z]"), "upper": re.compile(r"[A-Z]"),
           "space": re.compile(" "), "newline": re.compile(r"[\r\n]"), "other": re.compile(r"[^\w \r\n]|_")}


def classes(text: str) -> set[str]:
    """The kinds of characters in `text`: enough to tell a number from a name from a sentence."""
    return {name for name, pattern in CLASSES.items() if pattern.search(text)}


def test_every_sdk_variable_is_replaced() -> None:
    names = list(sdk_samples())
    missing = [n for n in names if render_text("{{" + n + "}}", REQUEST, {}) == "{{" + n + "}}"]
    print(f"dynamic variables replaced: {len(names) - len(missing)} of {len(names)}")
    assert not missing, f"postmock leaves {len(missing)} of the SDK's {len(names)} as written: {missing}"
    assert len(names) >= 118


def test_names_are_case_sensitive() -> None:
    for name in ("$Guid", "$randomint", "$RANDOMEMAIL"):
        assert render_text("{{" + name + "}}", REQUEST, {}) == "{{" + name + "}}"


@pytest.mark.parametrize("name", sorted(DYNAMIC))
def test_values_have_the_sdk_shape(name: str) -> None:
    sdk = sdk_samples().get(name)
    if sdk is None:
        pytest.fail(f"{name} is not in the installed SDK: postmock should not invent variables")
    values, mine = sdk["values"], list(ours(name))
    if sdk["types"] == ["number"]:
        assert all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in mine), mine[:5]
    elif sdk["types"] == ["boolean"]:
        assert set(mine) == {"true", "false"}
    elif sdk["types"] == ["date"]:
        assert all(re.fullmatch(JS_DATE, v) for v in values + mine), mine[:5]
    else:
        assert sdk["types"] == ["string"], sdk["types"]
    pattern = PATTERNS.get(name)
    if pattern:
        assert all(re.fullmatch(pattern, v) for v in values), f"the SDK's own {name} breaks {pattern}"
        bad = [v for v in mine if not re.fullmatch(pattern, v)]
        assert not bad, f"{name}: {bad[:5]} are not like the SDK's {values[:3]}"
    lengths = [len(v) for v in values]
    low, high = min(lengths), max(lengths)
    if name not in OTHER_LENGTH:
        if low == high:
            assert {len(v) for v in mine} == {low}, f"{name}: the SDK's are all {low} long: {mine[:3]}"
        else:  # the same order of length: a word stays a word, a paragraph a paragraph
            assert all(low // 2 <= len(v) <= high * 2 for v in mine), \
                f"{name}: lengths {min(map(len, mine))}-{max(map(len, mine))}, the SDK's {low}-{high}"
    allowed = set().union(*map(classes, values))
    extra = set().union(*map(classes, mine)) - allowed
    assert not extra, f"{name}: {extra} characters, never in the SDK's: {[v for v in mine if classes(v) & extra][:3]}"
