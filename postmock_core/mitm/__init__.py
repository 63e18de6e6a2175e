"""The mitmproxy edge: the recorder and mock addons, flow adapters, flow files, addon options,
the recorder's writer process, and starting mitmproxy in-process.

The only package that imports mitmproxy. It converts flows to the core's types and calls
`mock` and `history`.
"""
