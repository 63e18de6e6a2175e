"""Faker's data for the dynamic variables, read once, on first use, and drawn from fast.

Calling a Faker generator costs 5 to 100 µs a value, too slow for a mock answering in tens of
microseconds: so Faker's tables (names, places, companies, internet, files, lorem) and its
format strings are read once into `Pick`s, small functions of a random generator, and Faker
itself is called only for values with structure of their own (`faker_value`). Where Faker has
no data (hacker talk, commerce, databases, job titles), Postman's own word lists are used,
kept in `data/dynamic_words.json`.

Importing Faker takes a few hundred milliseconds: it happens on the first attribute read of
`DATA`, or in the background after `preload()`, never when this module is imported.
"""

from __future__ import annotations

import json
import logging
import random
import re
import string
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["DATA", "FakerData", "Pick", "faker_value", "pick", "preload"]

log = logging.getLogger(__name__)

_WORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "dynamic_words.json"
_FIELD = re.compile(r"\{\{\s*(\w+)\s*\}\}")

Pick = Callable[[random.Random], str]


def pick(rng: random.Random, options: Sequence[Any]) -> Any:
    """One of `options`."""
    # random() is the cheapest draw there is; choice() and randint() cost several times more.
    return options[int(rng.random() * len(options))]


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


class FakerData:
    """Faker's tables and Postman's word lists as `Pick`s, loaded on first attribute access."""

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
DATA = FakerData()


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
            _preloading = threading.Thread(target=lambda: DATA.faker, name="postmock-faker-preload",
                                           daemon=True)
            _preloading.start()
        return _preloading


def faker_value(rng: random.Random, method: str) -> str:
    """A value built by Faker's generator `method` itself, drawing from `rng`."""
    fake = DATA.faker
    with _FAKER_LOCK:  # the generator's random source is shared: one value at a time
        fake.random = rng
        return str(getattr(fake, method)())
