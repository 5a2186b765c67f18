"""Persistence: SQLModel tables, engine/session factory, SQL aggregates, Alembic migrations."""
