"""Postman's dynamic variables (`{{$guid}}`, `{{$timestamp}}`, the `$random*` family).

Formats follow the Postman Collection SDK (which uses faker.js): `$timestamp` is Unix seconds,
`$isoTimestamp` ISO 8601 UTC with milliseconds, `$randomInt` 0 to 1000, dates print like
JavaScript's `Date.toString()`. Word lists are small samples of faker's English data.
"""

from __future__ import annotations

import datetime as dt
import random
import string
import time
import uuid
from collections.abc import Callable

__all__ = ["DYNAMIC", "generate"]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _words("""James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David
    Barbara Richard Susan Joseph Jessica Thomas Sarah Carol Daniel Nancy Matthew Lisa Anthony Karen
    Mark Betty Donald Helen Paul Sandra Steven Ashley Kevin Emily""")
_LAST = _words("""Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
    Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson
    White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King""")
_WORDS = _words("""lorem ipsum dolor sit amet consectetur adipisci velit sed quia non numquam eius
    modi tempora incidunt ut labore et dolore magnam aliquam quaerat voluptatem enim ad minima
    veniam quis nostrum exercitationem ullam corporis suscipit laboriosam nisi aliquid ex ea commodi
    consequatur autem vel eum iure reprehenderit qui in voluptate esse""")
_NOUNS = _words("system driver bandwidth protocol array panel firewall sensor matrix circuit alarm")
_VERBS = _words("parse index compress override quantify connect transmit navigate hack program")
_ADJS = _words("neural wireless virtual primary digital optical mobile auxiliary haptic redundant")
_CITIES = _words("""Springfield Riverside Franklin Greenville Bristol Clinton Fairview Salem Madison
    Georgetown Arlington Ashland Dover Oxford Jackson Burlington Manchester Milton""")
_STREETS = _words("Main Oak Pine Maple Cedar Elm Washington Lake Hill Park View Sunset Ridge")
_STREET_SUFFIX = _words("Street Avenue Road Lane Drive Court Place Way Boulevard Parkway")
_COUNTRIES = {"US": "United States of America", "GB": "United Kingdom", "DE": "Germany",
              "FR": "France", "NL": "Netherlands", "CA": "Canada", "JP": "Japan", "BR": "Brazil",
              "IN": "India", "AU": "Australia", "ES": "Spain", "IT": "Italy", "SE": "Sweden"}
_COLORS = _words("red green blue yellow orange purple teal violet gold silver maroon lime navy")
_DOMAIN_SUFFIX = _words("com net org biz info name io")
_FREE_MAIL = _words("gmail.com yahoo.com hotmail.com")
_COMPANY_SUFFIX = ("Inc", "and Sons", "LLC", "Group")
_JOB_DESCRIPTOR = _words("Lead Senior Direct Corporate Dynamic Future Product National Chief")
_JOB_AREA = _words("Solutions Program Brand Security Research Marketing Directives Implementation")
_JOB_TYPE = _words("Supervisor Associate Executive Liaison Officer Manager Engineer Specialist")
_CURRENCIES = {"USD": ("US Dollar", "$"), "EUR": ("Euro", "€"), "GBP": ("Pound Sterling", "£"),
               "JPY": ("Yen", "¥"), "INR": ("Indian Rupee", "₹"), "CHF": ("Swiss Franc", "CHF")}
_MONTHS = _words("""January February March April May June July August September October November
    December""")
_WEEKDAYS = _words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
_FILE_EXT = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "gif": "image/gif",
             "mp3": "audio/mpeg", "mp4": "video/mp4", "txt": "text/plain", "html": "text/html",
             "json": "application/json", "wav": "audio/wav", "m2v": "video/mpeg"}
_COMMON_EXT = _words("pdf png jpg gif mp3 mp4 wav")
_FILE_TYPES = _words("application audio image text video")
_DIRS = _words("""/Applications /bin /boot /dev /etc /home /home/user /home/user/dir /lib /Library
    /mnt /opt /opt/bin /private/tmp /root /sbin /srv /tmp /Users /usr /usr/bin /usr/local/bin /var
    /var/log /var/tmp""")
_LOCALES = _words("""af ar bg cs da de el en eo es et fa fi fr he hi hr hu id it ja ko nl no pl pt
    ro ru sv tr uk zh""")
_AGENTS = (
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0 Safari/537.36"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 13_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/16.6 Safari/605.1.15"),
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
)
_ABBREVIATIONS = _words("""TCP HTTP SDD RAM GB CSS SSL AGP SQL FTP PCI AI ADP RSS XML EXE COM HDD
    THX SMTP SMS USB PNG SAS IB SCSI JSON XSS JBOD""")
_ACCOUNTS = ("Checking", "Savings", "Money Market", "Investment", "Home Loan", "Credit Card",
             "Auto Loan", "Personal Loan")
_TRANSACTIONS = ("deposit", "withdrawal", "payment", "invoice")
_PREFIX = ("Mr.", "Mrs.", "Ms.", "Miss", "Dr.")
_SUFFIX = _words("Jr. Sr. I II III IV V MD DDS PhD DVM")
_PRODUCTS = _words("Chair Car Computer Keyboard Mouse Bike Ball Gloves Pants Shirt Table Shoes Hat")
_MATERIALS = _words("Steel Wooden Concrete Plastic Cotton Granite Rubber Metal Soft Fresh Frozen")
_PRODUCT_ADJS = _words("Small Ergonomic Rustic Intelligent Gorgeous Incredible Fantastic Practical")
_DEPARTMENTS = _words("Books Movies Music Games Electronics Computers Home Garden Tools Grocery")
_IMAGES = _words("""abstract animals business cats city food nightlife fashion people nature sports
    transport""")

def _js_date(d: dt.datetime) -> str:
    """A UTC datetime as JavaScript's `Date.prototype.toString()` prints it."""
    return d.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(3, 10))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(3))


def _name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(_FIRST), rng.choice(_LAST)


def _email(rng: random.Random, domains: tuple[str, ...]) -> str:
    first, last = _name(rng)
    return f"{first}.{last}{rng.randint(0, 99)}@{rng.choice(domains)}".replace("'", "")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _when(rng: random.Random, days: float) -> str:
    """A moment between now and `days` away (negative: in the past)."""
    return _js_date(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=rng.uniform(0, days * 86400)))


def _file(rng: random.Random, extensions: tuple[str, ...]) -> str:
    return f"{rng.choice(_WORDS)}_{rng.choice(_WORDS)}.{rng.choice(extensions)}"


def _domain_word(rng: random.Random) -> str:
    return rng.choice(_LAST).lower() + rng.choice(["", "-" + rng.choice(_WORDS)])


Gen = Callable[[random.Random], str]

_RNG = random.Random()

DYNAMIC: dict[str, Gen] = {
    "$guid": lambda rng: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    "$randomUUID": lambda rng: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    "$timestamp": lambda rng: str(round(time.time())),
    "$isoTimestamp": lambda rng: dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    .replace("+00:00", "Z"),
    "$randomInt": lambda rng: str(rng.randint(0, 1000)),
    "$randomAlphaNumeric": lambda rng: rng.choice(string.ascii_lowercase + string.digits),
    "$randomBoolean": lambda rng: rng.choice(["true", "false"]),
    "$randomIP": lambda rng: ".".join(str(rng.randint(0, 255)) for _ in range(4)),
    "$randomIPV6": lambda rng: ":".join(f"{rng.getrandbits(16):x}" for _ in range(8)),
    "$randomMACAddress": lambda rng: ":".join(f"{rng.getrandbits(8):02x}" for _ in range(6)),
    "$randomPassword": lambda rng: "".join(rng.choice(string.ascii_letters + string.digits)
                                           for _ in range(15)),
    "$randomLocale": lambda rng: rng.choice(_LOCALES),
    "$randomUserAgent": lambda rng: rng.choice(_AGENTS),
    "$randomProtocol": lambda rng: rng.choice(["http", "https"]),
    "$randomSemver": lambda rng: ".".join(str(rng.randint(0, 9)) for _ in range(3)),
    "$randomFirstName": lambda rng: rng.choice(_FIRST),
    "$randomLastName": lambda rng: rng.choice(_LAST),
    "$randomFullName": lambda rng: " ".join(_name(rng)),
    "$randomNamePrefix": lambda rng: rng.choice(_PREFIX),
    "$randomNameSuffix": lambda rng: rng.choice(_SUFFIX),
    "$randomJobTitle": lambda rng: " ".join((rng.choice(_JOB_DESCRIPTOR), rng.choice(_JOB_AREA),
                                             rng.choice(_JOB_TYPE))),
    "$randomJobDescriptor": lambda rng: rng.choice(_JOB_DESCRIPTOR),
    "$randomJobArea": lambda rng: rng.choice(_JOB_AREA),
    "$randomJobType": lambda rng: rng.choice(_JOB_TYPE),
    "$randomEmail": lambda rng: _email(rng, _FREE_MAIL),
    "$randomExampleEmail": lambda rng: _email(rng, ("example.com", "example.net", "example.org")),
    "$randomUserName": lambda rng: rng.choice(_FIRST) + rng.choice([".", "_"]) + rng.choice(_LAST)
                                   + str(rng.randint(0, 99)),
    "$randomUrl": lambda rng: f"{rng.choice(['http', 'https'])}://{_domain_word(rng)}."
                              f"{rng.choice(_DOMAIN_SUFFIX)}",
    "$randomDomainName": lambda rng: f"{_domain_word(rng)}.{rng.choice(_DOMAIN_SUFFIX)}",
    "$randomDomainSuffix": lambda rng: rng.choice(_DOMAIN_SUFFIX),
    "$randomDomainWord": _domain_word,
    "$randomCity": lambda rng: rng.choice(_CITIES),
    "$randomStreetName": lambda rng: f"{rng.choice(_STREETS)} {rng.choice(_STREET_SUFFIX)}",
    "$randomStreetAddress": lambda rng: f"{rng.randint(100, 99999)} {rng.choice(_STREETS)} "
                                        f"{rng.choice(_STREET_SUFFIX)}",
    "$randomCountry": lambda rng: rng.choice(list(_COUNTRIES.values())),
    "$randomCountryCode": lambda rng: rng.choice(list(_COUNTRIES)),
    "$randomLatitude": lambda rng: f"{rng.uniform(-90, 90):.4f}",
    "$randomLongitude": lambda rng: f"{rng.uniform(-180, 180):.4f}",
    "$randomPhoneNumber": lambda rng: f"{_digits(rng, 3)}-{_digits(rng, 3)}-{_digits(rng, 4)}",
    "$randomPhoneNumberExt": lambda rng: f"{rng.randint(1, 99)}-{_digits(rng, 3)}-"
                                         f"{_digits(rng, 3)}-{_digits(rng, 4)}",
    "$randomColor": lambda rng: rng.choice(_COLORS),
    "$randomHexColor": lambda rng: f"#{rng.getrandbits(24):06x}",
    "$randomAbbreviation": lambda rng: rng.choice(_ABBREVIATIONS),
    "$randomDatePast": lambda rng: _when(rng, -365),
    "$randomDateFuture": lambda rng: _when(rng, 365),
    "$randomDateRecent": lambda rng: _when(rng, -1),
    "$randomMonth": lambda rng: rng.choice(_MONTHS),
    "$randomWeekday": lambda rng: rng.choice(_WEEKDAYS),
    "$randomBankAccount": lambda rng: _digits(rng, 8),
    "$randomBankAccountName": lambda rng: rng.choice(_ACCOUNTS) + " Account",
    "$randomCreditCardMask": lambda rng: _digits(rng, 4),
    "$randomPrice": lambda rng: f"{rng.uniform(0, 1000):.2f}",
    "$randomTransactionType": lambda rng: rng.choice(_TRANSACTIONS),
    "$randomCurrencyCode": lambda rng: rng.choice(list(_CURRENCIES)),
    "$randomCurrencyName": lambda rng: rng.choice(list(_CURRENCIES.values()))[0],
    "$randomCurrencySymbol": lambda rng: rng.choice(list(_CURRENCIES.values()))[1],
    "$randomCompanyName": lambda rng: f"{rng.choice(_LAST)} {rng.choice(_COMPANY_SUFFIX)}",
    "$randomCompanySuffix": lambda rng: rng.choice(_COMPANY_SUFFIX),
    "$randomProduct": lambda rng: rng.choice(_PRODUCTS),
    "$randomProductName": lambda rng: f"{rng.choice(_PRODUCT_ADJS)} {rng.choice(_MATERIALS)} "
                                      f"{rng.choice(_PRODUCTS)}",
    "$randomProductAdjective": lambda rng: rng.choice(_PRODUCT_ADJS),
    "$randomProductMaterial": lambda rng: rng.choice(_MATERIALS),
    "$randomDepartment": lambda rng: rng.choice(_DEPARTMENTS),
    "$randomNoun": lambda rng: rng.choice(_NOUNS),
    "$randomVerb": lambda rng: rng.choice(_VERBS),
    "$randomIngverb": lambda rng: rng.choice(_VERBS).rstrip("e") + "ing",
    "$randomAdjective": lambda rng: rng.choice(_ADJS),
    "$randomWord": lambda rng: rng.choice(_WORDS),
    "$randomWords": lambda rng: " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 5))),
    "$randomLoremWord": lambda rng: rng.choice(_WORDS),
    "$randomLoremWords": lambda rng: " ".join(rng.choice(_WORDS) for _ in range(3)),
    "$randomLoremSentence": _sentence,
    "$randomLoremSentences": lambda rng: " ".join(_sentence(rng) for _ in range(rng.randint(2, 6))),
    "$randomLoremParagraph": _paragraph,
    "$randomLoremParagraphs": lambda rng: "\n \r".join(_paragraph(rng) for _ in range(3)),
    "$randomLoremText": lambda rng: _sentence(rng),
    "$randomLoremSlug": lambda rng: "-".join(rng.choice(_WORDS) for _ in range(3)),
    "$randomLoremLines": lambda rng: "\n".join(_sentence(rng) for _ in range(rng.randint(1, 5))),
    "$randomFileName": lambda rng: _file(rng, tuple(_FILE_EXT)),
    "$randomCommonFileName": lambda rng: _file(rng, _COMMON_EXT),
    "$randomFileExt": lambda rng: rng.choice(tuple(_FILE_EXT)),
    "$randomCommonFileExt": lambda rng: rng.choice(_COMMON_EXT),
    "$randomFileType": lambda rng: rng.choice(_FILE_TYPES),
    "$randomCommonFileType": lambda rng: rng.choice(_FILE_TYPES),
    "$randomMimeType": lambda rng: rng.choice(tuple(_FILE_EXT.values())),
    "$randomDirectoryPath": lambda rng: rng.choice(_DIRS),
    "$randomFilePath": lambda rng: f"{rng.choice(_DIRS)}/{_file(rng, tuple(_FILE_EXT))}",
    "$randomImageUrl": lambda rng: "http://placeimg.com/640/480",
    "$randomAvatarImage": lambda rng: f"https://i.pravatar.cc/150?img={rng.randint(1, 70)}",
}


def _image(kind: str) -> Gen:
    return lambda rng: f"http://placeimg.com/640/480/{kind}"


DYNAMIC.update({f"$random{kind.capitalize()}Image": _image(kind) for kind in _IMAGES})


def generate(name: str, rng: random.Random | None = None) -> str | None:
    """A fresh value for dynamic variable `name` (with its `$`), or None if unknown."""
    gen = DYNAMIC.get(name)
    return gen(rng or _RNG) if gen is not None else None
