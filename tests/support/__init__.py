"""Helpers shared by end-to-end tests: free ports, polling, real mitmdump processes."""
