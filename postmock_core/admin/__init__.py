"""The admin edge: the HTTP admin API in the Postman API's shape, and the dashboard.

May import `mock` and everything below it; the only package that renders HTML.
"""
