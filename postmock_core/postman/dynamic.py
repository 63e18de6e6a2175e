"""Postman's dynamic variables: every `{{$name}}` the Postman Collection SDK knows.

Values keep the SDK's formats: `$randomInt` 0 to 1000, `$timestamp` Unix seconds,
`$isoTimestamp` UTC with milliseconds and `Z`, dates as JavaScript's `Date.toString()` prints
them, `$randomPassword` 15 letters and digits. They come from Python's Faker (its en_US names,
places, companies, internet and file data, and its Latin lorem; see `fakerdata`), and where
Faker has nothing from Postman's own word lists. One answer draws all its values from one
`Draw`: a seeded one gives the same values, and the same clock, every time.
"""

from __future__ import annotations

import random
import string
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from postmock_core.postman.fakerdata import DATA as _D
from postmock_core.postman.fakerdata import faker_value, pick

__all__ = ["DYNAMIC", "SEEDED_NOW", "Draw", "draw"]

# The moment every seeded answer is made at (2025-01-01T00:00:00Z), so that time-based values
# are as reproducible as the random ones.
SEEDED_NOW = 1735689600.0

_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_IMAGE_KINDS = ("abstract", "animals", "business", "cats", "city", "food", "nightlife", "fashion",
                "people", "nature", "sports", "transport")
_COMMON_FILE_TYPES = ("video", "audio", "image", "text", "application")
_COMMON_FILE_EXT = ("pdf", "mp3", "wav", "png", "jpeg", "gif", "mp4", "mpeg", "html")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(slots=True)
class Draw:
    """Where one answer's values come from: its random generator and the moment it is made."""

    rng: random.Random
    now: float  # Unix seconds


_RNG = random.Random()


def draw(seed: int | str | None = None) -> Draw:
    """Random values at the current time, or, given a seed, the same values every time."""
    if seed is None:
        return Draw(_RNG, time.time())
    return Draw(random.Random(seed), SEEDED_NOW)


# -- the generators ------------------------------------------------------------------------------
Gen = Callable[[Draw], str]


def _int(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def _guid(d: Draw) -> str:
    b = d.rng.getrandbits(122)  # a version 4 UUID: 122 random bits, the version and the variant
    return (f"{b >> 90:08x}-{b >> 74 & 0xFFFF:04x}-4{b >> 62 & 0xFFF:03x}-"
            f"{0x8000 | b >> 48 & 0x3FFF:04x}-{b & 0xFFFFFFFFFFFF:012x}")


_second: tuple[int, str] = (-1, "")


def _iso(d: Draw) -> str:
    global _second
    sec, text = _second
    if sec != int(d.now):  # many answers share a second: format it once
        sec, text = _second = int(d.now), time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(d.now))
    return f"{text}.{int(d.now * 1000) % 1000:03d}Z"


def _js_date(d: Draw, days: float) -> str:
    """A moment up to `days` from the answer's moment (negative: before it), as JS prints it."""
    moment = time.gmtime(d.now + d.rng.random() * days * 86400)
    return time.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", moment)


def _digits(d: Draw, n: int) -> str:
    return f"{_int(d.rng, 0, 10 ** n - 1):0{n}d}"


def _phone(d: Draw) -> str:
    r = d.rng.random
    return f"{200 + int(r() * 800)}-{200 + int(r() * 800)}-{int(r() * 10000):04d}"


def _full_name(d: Draw) -> str:
    return f"{_D.first_name(d.rng)} {_D.last_name(d.rng)}"


def _user_name(d: Draw) -> str:
    return _D.user_name(d.rng).lower()


def _domain_word(d: Draw) -> str:
    return _D.domain_word(d.rng)


def _domain_name(d: Draw) -> str:
    return f"{_domain_word(d)}.{_D.tld(d.rng)}"


def _lorem(d: Draw, n: int) -> str:
    return " ".join(d.rng.choices(_D.latin, k=n))


def _sentence(d: Draw) -> str:
    return _lorem(d, _int(d.rng, 3, 10)).capitalize() + "."


def _sentences(d: Draw, n: int) -> str:
    return " ".join(_sentence(d) for _ in range(n))


def _paragraph(d: Draw) -> str:
    return _sentences(d, 3 + _int(d.rng, 0, 3))


def _paragraphs(d: Draw) -> str:
    return "\n \r".join(_paragraph(d) for _ in range(3))


def _lines(d: Draw) -> str:
    return "\n".join(_sentence(d) for _ in range(_int(d.rng, 1, 5)))


_TEXTS: tuple[Gen, ...] = (
    lambda d: pick(d.rng, _D.latin), lambda d: _lorem(d, 3), _sentence,
    lambda d: _sentences(d, _int(d.rng, 2, 6)), _paragraph, _paragraphs, _lines,
)


def _english(d: Draw, n: int, sep: str = " ") -> str:
    return sep.join(d.rng.choices(_D.english, k=n))


def _file_name(d: Draw, ext: str) -> str:
    return f"{_english(d, _int(d.rng, 1, 3), '_').lower()}.{ext}"


def _word(key: str) -> Gen:
    return lambda d: _D.words[key](d.rng)


def _image(kind: str) -> Gen:
    return lambda d: f"https://loremflickr.com/640/480/{kind}"


def _data_uri(d: Draw) -> str:
    fill = f"#{d.rng.getrandbits(24):06x}"
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" baseProfile="full" width="640" '
           f'height="480"><rect width="100%" height="100%" fill="{fill}"/><text x="320" y="240" '
           f'font-size="20" alignment-baseline="middle" text-anchor="middle" fill="white">640x480'
           f'</text></svg>')
    return "data:image/svg+xml;charset=UTF-8," + urllib.parse.quote(svg, safe="")


def _bitcoin(d: Draw) -> str:
    return pick(d.rng, "13") + "".join(d.rng.choices(_BASE58, k=_int(d.rng, 24, 33)))


def _currency(d: Draw, i: int) -> str:
    return pick(d.rng, _D.currency)[i]


DYNAMIC: dict[str, Gen] = {
    "$guid": _guid,
    "$timestamp": lambda d: str(round(d.now)),
    "$isoTimestamp": _iso,
    "$randomInt": lambda d: str(_int(d.rng, 0, 1000)),
    "$randomPhoneNumber": _phone,
    "$randomPhoneNumberExt": lambda d: f"{_int(d.rng, 1, 99)}-{_phone(d)}",
    "$randomLocale": _word("locales"),
    "$randomWords": lambda d: _english(d, _int(d.rng, 2, 5)),
    "$randomFilePath": lambda d: f"{_D.words['directory_paths'](d.rng)}/{_file_name(d, _D.file_ext(d.rng))}",
    "$randomDirectoryPath": _word("directory_paths"),
    "$randomCity": lambda d: _D.city(d.rng),
    "$randomStreetName": lambda d: _D.street_name(d.rng),
    "$randomStreetAddress": lambda d: f"{_D.building_number(d.rng)} {_D.street_name(d.rng)}",
    "$randomCountry": lambda d: _D.country(d.rng),
    "$randomCountryCode": lambda d: _D.country_code(d.rng),
    "$randomLatitude": lambda d: f"{d.rng.uniform(-90, 90):.4f}",
    "$randomLongitude": lambda d: f"{d.rng.uniform(-180, 180):.4f}",
    "$randomColor": lambda d: _D.color(d.rng),
    "$randomDepartment": _word("commerce_department"),
    "$randomProductName": lambda d: " ".join(_D.words[k](d.rng) for k in
                                             ("product_adjective", "product_material", "product")),
    "$randomProductAdjective": _word("product_adjective"),
    "$randomProductMaterial": _word("product_material"),
    "$randomProduct": _word("product"),
    "$randomCompanyName": lambda d: _D.company(d.rng),
    "$randomCompanySuffix": lambda d: _D.company_suffix(d.rng),
    "$randomCatchPhrase": lambda d: " ".join(p(d.rng) for p in _D.catch_phrase),
    "$randomBs": lambda d: " ".join(p(d.rng) for p in _D.bs),
    "$randomCatchPhraseAdjective": lambda d: _D.catch_phrase[0](d.rng),
    "$randomCatchPhraseDescriptor": lambda d: _D.catch_phrase[1](d.rng),
    "$randomCatchPhraseNoun": lambda d: _D.catch_phrase[2](d.rng),
    "$randomBsAdjective": lambda d: _D.bs[1](d.rng),
    "$randomBsBuzz": lambda d: _D.bs[0](d.rng),
    "$randomBsNoun": lambda d: _D.bs[2](d.rng),
    "$randomDatabaseColumn": _word("database_column"),
    "$randomDatabaseType": _word("database_type"),
    "$randomDatabaseCollation": _word("database_collation"),
    "$randomDatabaseEngine": _word("database_engine"),
    "$randomDatePast": lambda d: _js_date(d, -365),
    "$randomDateFuture": lambda d: _js_date(d, 365),
    "$randomDateRecent": lambda d: _js_date(d, -1),
    "$randomMonth": lambda d: pick(d.rng, _MONTHS),
    "$randomWeekday": lambda d: pick(d.rng, _WEEKDAYS),
    "$randomBankAccount": lambda d: _digits(d, 8),
    "$randomBankAccountName": lambda d: _D.words["account_type"](d.rng) + " Account",
    "$randomCreditCardMask": lambda d: _digits(d, 4),
    "$randomPrice": lambda d: f"{_int(d.rng, 0, 100_000) / 100:.2f}",
    "$randomTransactionType": _word("transaction_type"),
    "$randomCurrencyCode": lambda d: _currency(d, 0),
    "$randomCurrencyName": lambda d: _currency(d, 1),
    "$randomCurrencySymbol": lambda d: _D.currency_symbol(d.rng),
    "$randomBitcoin": _bitcoin,
    "$randomBankAccountIban": lambda d: faker_value(d.rng, "iban"),
    "$randomBankAccountBic": lambda d: faker_value(d.rng, "swift"),
    "$randomAbbreviation": _word("hacker_abbreviation"),
    "$randomAdjective": _word("hacker_adjective"),
    "$randomNoun": _word("hacker_noun"),
    "$randomVerb": _word("hacker_verb"),
    "$randomIngverb": _word("hacker_ingverb"),
    "$randomPhrase": lambda d: pick(d.rng, _D.phrases)(d.rng),
    "$randomAvatarImage": lambda d: f"https://avatars.githubusercontent.com/u/{_int(d.rng, 1, 99_999_999)}",
    "$randomImageUrl": lambda d: _D.image_service(d.rng).format(width=640, height=480),
    **{f"$random{kind.capitalize()}Image": _image(kind) for kind in _IMAGE_KINDS},
    "$randomImageDataUri": _data_uri,
    "$randomEmail": lambda d: f"{_user_name(d)}@{_D.free_email_domain(d.rng)}",
    "$randomExampleEmail": lambda d: f"{_user_name(d)}@{_D.safe_domain(d.rng)}",
    "$randomUserName": _user_name,
    "$randomProtocol": lambda d: pick(d.rng, ("http", "https")),
    "$randomUrl": lambda d: f"{pick(d.rng, ('http', 'https'))}://{_domain_name(d)}",
    "$randomDomainName": _domain_name,
    "$randomDomainSuffix": lambda d: _D.tld(d.rng),
    "$randomDomainWord": _domain_word,
    "$randomIP": lambda d: ".".join(str(_int(d.rng, 0, 255)) for _ in range(4)),
    "$randomIPV6": lambda d: ":".join(f"{d.rng.getrandbits(16):04x}" for _ in range(8)),
    "$randomUserAgent": lambda d: faker_value(d.rng, "user_agent"),
    "$randomHexColor": lambda d: f"#{d.rng.getrandbits(24):06x}",
    "$randomMACAddress": lambda d: ":".join(f"{d.rng.getrandbits(8):02x}" for _ in range(6)),
    "$randomPassword": lambda d: "".join(d.rng.choices(_ALNUM, k=15)),
    "$randomLoremWord": lambda d: pick(d.rng, _D.latin),
    "$randomLoremWords": lambda d: _lorem(d, 3),
    "$randomLoremSentence": _sentence,
    "$randomLoremSlug": lambda d: "-".join(d.rng.choices(_D.latin, k=3)),
    "$randomLoremSentences": lambda d: _sentences(d, _int(d.rng, 2, 6)),
    "$randomLoremParagraph": _paragraph,
    "$randomLoremParagraphs": _paragraphs,
    "$randomLoremText": lambda d: pick(d.rng, _TEXTS)(d),
    "$randomLoremLines": _lines,
    "$randomFirstName": lambda d: _D.first_name(d.rng),
    "$randomLastName": lambda d: _D.last_name(d.rng),
    "$randomFullName": _full_name,
    "$randomJobTitle": lambda d: " ".join(_D.words[k](d.rng) for k in
                                          ("job_descriptor", "job_area", "job_type")),
    "$randomNamePrefix": lambda d: _D.prefix(d.rng),
    "$randomNameSuffix": lambda d: _D.suffix(d.rng),
    "$randomJobDescriptor": _word("job_descriptor"),
    "$randomJobArea": _word("job_area"),
    "$randomJobType": _word("job_type"),
    "$randomUUID": _guid,
    "$randomBoolean": lambda d: pick(d.rng, ("true", "false")),
    "$randomWord": lambda d: pick(d.rng, _D.english),
    "$randomAlphaNumeric": lambda d: pick(d.rng, _LOWER_ALNUM),
    "$randomFileName": lambda d: _file_name(d, _D.file_ext(d.rng)),
    "$randomCommonFileName": lambda d: _file_name(d, pick(d.rng, _COMMON_FILE_EXT)),
    "$randomMimeType": lambda d: _D.mime_type(d.rng),
    "$randomCommonFileType": lambda d: pick(d.rng, _COMMON_FILE_TYPES),
    "$randomCommonFileExt": lambda d: pick(d.rng, _COMMON_FILE_EXT),
    "$randomFileType": lambda d: _D.file_type(d.rng),
    "$randomFileExt": lambda d: _D.file_ext(d.rng),
    "$randomSemver": lambda d: ".".join(pick(d.rng, string.digits) for _ in range(3)),
}

