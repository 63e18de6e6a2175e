"""Secrets out before anything is written: redaction rules are data, applied to a copy.

`rules` says which names hold secrets, `headers`, `bodies` and `text` redact by place,
`values` follows what was found to everywhere else in the exchange, and `redactor` puts the
passes together.
"""

from postmock_core.history.redaction.redactor import Redactor, redact_url
from postmock_core.history.redaction.rules import (
    DEFAULT_HEADERS,
    DEFAULT_KEYS,
    DEFAULT_QUERY_KEYS,
    PLACEHOLDER,
    normalize,
)
from postmock_core.history.redaction.values import SecretValues

__all__ = ["DEFAULT_HEADERS", "DEFAULT_KEYS", "DEFAULT_QUERY_KEYS", "PLACEHOLDER", "Redactor", "SecretValues",
           "normalize", "redact_url"]
