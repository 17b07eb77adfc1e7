"""Alembic environment of the Nova schema (see :mod:`nova.db.migration`)."""
