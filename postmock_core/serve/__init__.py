"""The ASGI serving edge: `postmock serve` answering mock calls through uvicorn.

Converts ASGI scopes to the core's requests and calls `mock`; the only package that knows ASGI
serving. May import `mock` and everything below it.
"""
