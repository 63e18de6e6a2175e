"""postmock: record HTTP(S) traffic, build Postman-style collections, serve them as mocks."""

from postmock_core.errors import PostmockError

__all__ = ["PostmockError", "__version__"]
__version__ = "0.1.0"
