"""Persistence: SQLModel tables, engine and sessions, the photo store, export queries."""
