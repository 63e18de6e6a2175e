"""Matching: Postman's example-matching algorithm, its index, path, query, header and body
scoring, near misses, and the matcher's view of a collection's examples.

May import `postman`, `history` and `store`; never mitmproxy.
"""
