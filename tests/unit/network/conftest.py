"""Fixtures of the network tests: a database with networks and instances."""

import pytest

from nova import context
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.session import session_scope


@pytest.fixture
def ctxt(sqlite_db):
    """An admin context on a fresh SQLite database."""
    return context.get_admin_context()


def make_instance(project_id='proj', host='host1', hostname='vm',
                  **values):
    """Insert an instances row (the compute side is not needed here)."""
    with session_scope() as session:
        ref = models.Instance(project_id=project_id, user_id='user',
                              host=host, hostname=hostname, **values)
        session.add(ref)
        session.flush()
        return ref.id


@pytest.fixture
def instance_factory(ctxt):
    """``instance_factory(**values)`` -> id of a new instance row."""
    return make_instance
