"""Mock servers: their configurations, the runtime that decides each answer, replies,
templating, API keys and the call log.

The core every engine calls. May import `matching` and everything below it; never an engine
(`mitm`, `serve`, `admin`).
"""
