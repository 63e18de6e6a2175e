"""History: recorded exchanges, their queries, redaction, and HAR import and export.

May import `store` and the shared `exchange` and `errors` modules; never mitmproxy. A
mitmproxy filter expression reaches a query as a plain predicate, compiled in `mitm`.
"""
