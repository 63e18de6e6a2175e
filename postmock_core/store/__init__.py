"""Storage: the workspace folder, atomic TinyDB files, segment files, blobs, writer processes,
watched files and workspace settings.

The bottom layer. It imports only the shared `errors` module and the standard library (plus
TinyDB); everything above keeps its data through it.
"""
