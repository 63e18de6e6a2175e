"""Postman's dynamic variables: every `{{$name}}` the Postman Collection SDK knows.

Values keep the SDK's formats: `$randomInt` 0 to 1000, `$timestamp` Unix seconds,
`$isoTimestamp` UTC with milliseconds and `Z`, dates as JavaScript's `Date.toString()` prints
them, `$randomPassword` 15 letters and digits. They come from Python's Faker: its en_US names,
places, companies, internet and file data, and its Latin lorem. Where Faker has nothing (hacker
talk, commerce, databases, job titles), from the same word lists Postman uses, kept in
`data/dynamic_words.json`.

Calling a Faker generator costs 5 to 100 µs a value, too slow for a mock answering in tens of
microseconds: so Faker's tables are read once and drawn from here, and Faker itself is called
only for values with structure of their own (IBAN, BIC, user agent). Importing Faker takes a
few hundred milliseconds, so it happens on first use (or in `preload`), never at import.

This module is one table of the SDK's 118 names, kept together so it reads against the SDK's list.
"""

from __future__ import annotations

import json
import logging
import random
import re
import string
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DYNAMIC", "SEEDED_NOW", "Draw", "draw", "generate", "preload"]

log = logging.getLogger(__name__)

# The moment every seeded answer is made at (2025-01-01T00:00:00Z), so that time-based values
# are as reproducible as the random ones.
SEEDED_NOW = 1735689600.0

_WORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "dynamic_words.json"
_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_HEX = "0123456789abcdef"
_IMAGE_KINDS = ("abstract", "animals", "business", "cats", "city", "food", "nightlife", "fashion",
                "people", "nature", "sports", "transport")
_COMMON_FILE_TYPES = ("video", "audio", "image", "text", "application")
_COMMON_FILE_EXT = ("pdf", "mp3", "wav", "png", "jpeg", "gif", "mp4", "mpeg", "html")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FIELD = re.compile(r"\{\{\s*(\w+)\s*\}\}")


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


# -- Faker's data, read on first use -----------------------------------------------------------
Pick = Callable[[random.Random], str]


def _pick(rng: random.Random, options: Sequence[Any]) -> Any:
    # random() is the cheapest draw there is; choice() and randint() cost several times more.
    return options[int(rng.random() * len(options))]


def _int(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def _chooser(items: Iterable[str]) -> Pick:
    options = tuple(items)
    n = len(options)
    return lambda rng: options[int(rng.random() * n)]


_LETTER = _chooser(string.ascii_lowercase)


def _numerify(text: str, pickers: list[Pick]) -> str:
    """Faker's `#` (a digit) and `?` (a letter) in a format's literal text, as `{}` fields."""
    out = []
    for m in re.finditer(r"#+|\?|[^#?]+", text):
        run = m.group(0)
        if run[0] == "#":
            pickers.append(_digit_run(len(run)))
            out.append("{}")
        elif run == "?":
            pickers.append(_LETTER)
            out.append("{}")
        else:
            out.append(run.replace("{", "{{").replace("}", "}}"))
    return "".join(out)


def _digit_run(n: int) -> Pick:
    top, spec = 10 ** n, f"0{n}d"
    return lambda rng: format(int(rng.random() * top), spec)


def _formats(formats: Iterable[str], fields: Mapping[str, Pick]) -> Pick:
    """Faker's format strings (`{{last_name}} {{company_suffix}}`) compiled into one picker."""
    compiled: list[tuple[str, tuple[Pick, ...]]] = []
    for fmt in formats:
        pickers: list[Pick] = []
        template, pos = "", 0
        for m in _FIELD.finditer(fmt):
            template += _numerify(fmt[pos:m.start()], pickers) + "{}"
            pickers.append(fields[m.group(1)])
            pos = m.end()
        compiled.append((template + _numerify(fmt[pos:], pickers), tuple(pickers)))
    n = len(compiled)

    def pick(rng: random.Random) -> str:
        template, pickers = compiled[int(rng.random() * n)]
        return template.format(*[p(rng) for p in pickers])
    return pick


class _Data:
    """Faker's tables and Postman's word lists, loaded on first attribute access."""

    first_name: Pick
    last_name: Pick
    prefix: Pick
    suffix: Pick
    city: Pick
    street_name: Pick
    building_number: Pick
    country: Pick
    country_code: Pick
    company: Pick
    company_suffix: Pick
    catch_phrase: tuple[Pick, Pick, Pick]
    bs: tuple[Pick, Pick, Pick]
    user_name: Pick
    domain_word: Pick
    free_email_domain: Pick
    safe_domain: Pick
    tld: Pick
    image_service: Pick
    latin: tuple[str, ...]
    english: tuple[str, ...]
    color: Pick
    currency: tuple[tuple[str, str], ...]
    currency_symbol: Pick
    mime_type: Pick
    file_type: Pick
    file_ext: Pick
    words: dict[str, Pick]
    phrases: tuple[Pick, ...]
    faker: Any  # a Faker generator, for the few values built by Faker itself

    def __getattr__(self, name: str) -> Any:
        with _LOAD_LOCK:
            if "faker" not in self.__dict__:
                started = time.perf_counter()
                self.__dict__.update(_load())
                log.debug("dynamic variables: Faker data loaded in %.0f ms",
                          (time.perf_counter() - started) * 1000)
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None


_LOAD_LOCK = threading.Lock()
_FAKER_LOCK = threading.Lock()
_D = _Data()


def _load() -> dict[str, Any]:
    from faker import Generator
    from faker.providers.address.en_US import Provider as Address
    from faker.providers.bank import Provider as Bank
    from faker.providers.color import Provider as Color
    from faker.providers.company.en_US import Provider as Company
    from faker.providers.currency import Provider as Currency
    from faker.providers.date_time import Provider as DateTime
    from faker.providers.file import Provider as File
    from faker.providers.internet.en_US import Provider as Internet
    from faker.providers.lorem.en_US import Provider as English
    from faker.providers.lorem.la import Provider as Latin
    from faker.providers.person.en_US import Provider as Person
    from faker.providers.user_agent import Provider as UserAgent

    fake = Generator()
    for provider in (Bank, DateTime, UserAgent):
        fake.add_provider(provider)
    first = _chooser(Person.first_names)
    last = _chooser(Person.last_names)
    street_suffix = _chooser(Address.street_suffixes)
    company_suffix = _chooser(Company.company_suffixes)
    company = _formats(Company.formats, {"last_name": last, "company_suffix": company_suffix})
    with _WORDS_FILE.open(encoding="utf-8") as f:
        lists: dict[str, list[str]] = json.load(f)
    words = {k: _chooser(v) for k, v in lists.items()}
    hacker = {k: words[f"hacker_{k}"] for k in ("abbreviation", "adjective", "ingverb", "noun", "verb")}
    phrases = tuple(_formats([p], hacker) for p in lists["hacker_phrase"])
    return {
        "first_name": first,
        "last_name": last,
        "prefix": _chooser({**Person.prefixes_female, **Person.prefixes_male}),
        "suffix": _chooser(Person.suffixes_male),
        "city": _formats(Address.city_formats, {
            "city_prefix": _chooser(Address.city_prefixes), "city_suffix": _chooser(Address.city_suffixes),
            "first_name": first, "last_name": last}),
        # Postman's street names and addresses: Faker's first format, without "Apt. 123".
        "street_name": _formats(Address.street_name_formats,
                                {"first_name": first, "last_name": last, "street_suffix": street_suffix}),
        "building_number": _formats(Address.building_number_formats, {}),
        "country": _chooser(Address.countries),
        "country_code": _chooser(Address.alpha_2_country_codes),
        "company": company,
        "company_suffix": company_suffix,
        "catch_phrase": tuple(_chooser(ws) for ws in Company.catch_phrase_words),
        "bs": tuple(_chooser(ws) for ws in Company.bsWords),
        "user_name": _formats(Internet.user_name_formats, {"first_name": first, "last_name": last}),
        # Faker's domain word is the first name in a company's name, and every company name
        # Faker makes starts with a last name; Postman's has letters only.
        "domain_word": _chooser(sorted({re.sub("[^a-z]", "", n.lower()) for n in Person.last_names})),
        "free_email_domain": _chooser(Internet.free_email_domains),
        "safe_domain": _chooser(Internet.safe_domain_names),
        "tld": _chooser(Internet.tlds),
        "image_service": _chooser(Internet.image_placeholder_services),
        "latin": tuple(Latin.word_list),
        "english": tuple(English.word_list),
        "color": _chooser(Color.safe_colors),
        "currency": tuple(Currency.currencies),
        "currency_symbol": _chooser(sorted(set(Currency.currency_symbols.values()))),
        "mime_type": _chooser(m.lower() for ms in File.mime_types.values() for m in ms),
        "file_type": _chooser(File.mime_types),
        "file_ext": _chooser(e for es in File.file_extensions.values() for e in es),
        "words": words,
        "phrases": phrases,
        "faker": fake,
    }


_preloading: threading.Thread | None = None


def preload() -> threading.Thread:
    """Load Faker in the background (once per process), so that a first answer needing it
    does not wait for the import."""
    global _preloading
    with _LOAD_LOCK:
        if _preloading is None:
            _preloading = threading.Thread(target=lambda: _D.faker, name="postmock-faker-preload",
                                           daemon=True)
            _preloading.start()
        return _preloading


def _faker(d: Draw, method: str) -> str:
    """A value built by Faker itself, from this answer's random generator."""
    fake = _D.faker
    with _FAKER_LOCK:  # the generator's random source is shared: one answer at a time
        fake.random = d.rng
        return str(getattr(fake, method)())


# -- the generators ------------------------------------------------------------------------------
Gen = Callable[[Draw], str]


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
    lambda d: _pick(d.rng, _D.latin), lambda d: _lorem(d, 3), _sentence,
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
    return _pick(d.rng, "13") + "".join(d.rng.choices(_BASE58, k=_int(d.rng, 24, 33)))


def _currency(d: Draw, i: int) -> str:
    return _pick(d.rng, _D.currency)[i]


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
    "$randomMonth": lambda d: _pick(d.rng, _MONTHS),
    "$randomWeekday": lambda d: _pick(d.rng, _WEEKDAYS),
    "$randomBankAccount": lambda d: _digits(d, 8),
    "$randomBankAccountName": lambda d: _D.words["account_type"](d.rng) + " Account",
    "$randomCreditCardMask": lambda d: _digits(d, 4),
    "$randomPrice": lambda d: f"{_int(d.rng, 0, 100_000) / 100:.2f}",
    "$randomTransactionType": _word("transaction_type"),
    "$randomCurrencyCode": lambda d: _currency(d, 0),
    "$randomCurrencyName": lambda d: _currency(d, 1),
    "$randomCurrencySymbol": lambda d: _D.currency_symbol(d.rng),
    "$randomBitcoin": _bitcoin,
    "$randomBankAccountIban": lambda d: _faker(d, "iban"),
    "$randomBankAccountBic": lambda d: _faker(d, "swift"),
    "$randomAbbreviation": _word("hacker_abbreviation"),
    "$randomAdjective": _word("hacker_adjective"),
    "$randomNoun": _word("hacker_noun"),
    "$randomVerb": _word("hacker_verb"),
    "$randomIngverb": _word("hacker_ingverb"),
    "$randomPhrase": lambda d: _pick(d.rng, _D.phrases)(d.rng),
    "$randomAvatarImage": lambda d: f"https://avatars.githubusercontent.com/u/{_int(d.rng, 1, 99_999_999)}",
    "$randomImageUrl": lambda d: _D.image_service(d.rng).format(width=640, height=480),
    **{f"$random{kind.capitalize()}Image": _image(kind) for kind in _IMAGE_KINDS},
    "$randomImageDataUri": _data_uri,
    "$randomEmail": lambda d: f"{_user_name(d)}@{_D.free_email_domain(d.rng)}",
    "$randomExampleEmail": lambda d: f"{_user_name(d)}@{_D.safe_domain(d.rng)}",
    "$randomUserName": _user_name,
    "$randomProtocol": lambda d: _pick(d.rng, ("http", "https")),
    "$randomUrl": lambda d: f"{_pick(d.rng, ('http', 'https'))}://{_domain_name(d)}",
    "$randomDomainName": _domain_name,
    "$randomDomainSuffix": lambda d: _D.tld(d.rng),
    "$randomDomainWord": _domain_word,
    "$randomIP": lambda d: ".".join(str(_int(d.rng, 0, 255)) for _ in range(4)),
    "$randomIPV6": lambda d: ":".join(f"{d.rng.getrandbits(16):04x}" for _ in range(8)),
    "$randomUserAgent": lambda d: _faker(d, "user_agent"),
    "$randomHexColor": lambda d: f"#{d.rng.getrandbits(24):06x}",
    "$randomMACAddress": lambda d: ":".join(f"{d.rng.getrandbits(8):02x}" for _ in range(6)),
    "$randomPassword": lambda d: "".join(d.rng.choices(_ALNUM, k=15)),
    "$randomLoremWord": lambda d: _pick(d.rng, _D.latin),
    "$randomLoremWords": lambda d: _lorem(d, 3),
    "$randomLoremSentence": _sentence,
    "$randomLoremSlug": lambda d: "-".join(d.rng.choices(_D.latin, k=3)),
    "$randomLoremSentences": lambda d: _sentences(d, _int(d.rng, 2, 6)),
    "$randomLoremParagraph": _paragraph,
    "$randomLoremParagraphs": _paragraphs,
    "$randomLoremText": lambda d: _pick(d.rng, _TEXTS)(d),
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
    "$randomBoolean": lambda d: _pick(d.rng, ("true", "false")),
    "$randomWord": lambda d: _pick(d.rng, _D.english),
    "$randomAlphaNumeric": lambda d: _pick(d.rng, _LOWER_ALNUM),
    "$randomFileName": lambda d: _file_name(d, _D.file_ext(d.rng)),
    "$randomCommonFileName": lambda d: _file_name(d, _pick(d.rng, _COMMON_FILE_EXT)),
    "$randomMimeType": lambda d: _D.mime_type(d.rng),
    "$randomCommonFileType": lambda d: _pick(d.rng, _COMMON_FILE_TYPES),
    "$randomCommonFileExt": lambda d: _pick(d.rng, _COMMON_FILE_EXT),
    "$randomFileType": lambda d: _D.file_type(d.rng),
    "$randomFileExt": lambda d: _D.file_ext(d.rng),
    "$randomSemver": lambda d: ".".join(_pick(d.rng, string.digits) for _ in range(3)),
}


def generate(name: str, source: Draw | None = None) -> str | None:
    """A value for dynamic variable `name` (with its `$`, case-sensitive), or None if unknown."""
    gen = DYNAMIC.get(name)
    return gen(source or draw()) if gen is not None else None
