"""Contexts the database tests share, on the SQLite database of the test."""

import pytest

from nova import context


@pytest.fixture
def admin(sqlite_db):
    """An admin context."""
    return context.get_admin_context()


@pytest.fixture
def user(sqlite_db):
    """A user context of project ``proj1``."""
    return context.RequestContext('alice', 'proj1')
