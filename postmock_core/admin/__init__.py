"""The admin edge: the HTTP admin API in the Postman API's shape, and the dashboard.

May import `mock` and everything below it; the only package that renders HTML.

Entry points: `admin.app.create_app(workspace, port=...)` is the ASGI app;
`admin.server.AdminServer.bind(...)` binds its address and `.running()` serves it with
uvicorn in the current asyncio loop, beside whatever else the process serves.
"""
