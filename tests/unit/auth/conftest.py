"""The AuthManager on each auth driver the unit tests run against."""

import pytest

from nova.auth import manager

DRIVERS = {'db': 'nova.auth.dbdriver.DbDriver',
           'fakeldap': 'nova.auth.ldapdriver.FakeLdapDriver'}


@pytest.fixture(params=sorted(DRIVERS))
def auth(request, sqlite_db, set_flags):
    """An AuthManager on a fresh database and an empty fake LDAP."""
    from nova.auth import fakeldap
    set_flags(auth_driver=DRIVERS[request.param])
    fakeldap.reset()
    yield manager.AuthManager()
    fakeldap.reset()
