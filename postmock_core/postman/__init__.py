"""Postman's model: collections, environments, variables, dynamic variables, v2.0/v2.1
import and export, collections made from history, and example names.

May import `history` and `store`.
"""
