"""Bulk reads and writes shared by the apps: COPY on PostgreSQL, plain statements on SQLite.

No models and no rules live here; every app above may use it, and it imports no app.
"""
