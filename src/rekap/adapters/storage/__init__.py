"""Relational storage: SQLite (embedded default, WAL) or PostgreSQL, one schema, Alembic."""
