"""A pytest plugin: Postman collections as test doubles, and record/replay whose recordings
are Postman collections.

pytest loads `plugin` through the `pytest11` entry point whenever postmock is installed, so
this package imports nothing at load time: the engine is imported when a test first asks for
the `postmock` or `postmock_recording` fixture.
"""
