"""A small directory interface for the LDAP auth driver, and its ldap3 form.

:class:`nova.auth.ldapdriver.LdapDriver` talks to a *directory* with four
operations, whatever serves it (a real server through ``ldap3``, or the
in-process :mod:`nova.auth.fakeldap` store):

* ``search(base, scope, query)`` -> ``[(dn, {lower-case attr: [str]})]``
* ``add(dn, {attr: [str]})``
* ``delete(dn)``
* ``modify(dn, [(op, attr, [str])])`` with ``op`` in ``add``, ``delete``,
  ``replace``

Failures raise the :class:`LdapError` subclasses below.  ``ldap3`` (a pure
Python client, ``pip install 'nova[ldap]'``) is imported only when a real
directory is used, so the embedded default needs nothing more.
"""

import threading

from nova import exception

SCOPE_BASE = 'base'
SCOPE_SUBTREE = 'subtree'
INSTALL_HINT = "pip install 'nova[ldap]'"


class LdapError(Exception):
    """An LDAP operation failed."""


class NoSuchObject(LdapError):
    """The entry (or the search base) does not exist."""


class AlreadyExists(LdapError):
    """An entry with that DN exists already."""


class ObjectClassViolation(LdapError):
    """The change would break the entry's object classes (e.g. the last
    ``member`` of a ``groupOfNames``)."""


class NotAllowedOnNonLeaf(LdapError):
    """The entry still has children."""


class ServerDown(LdapError, exception.ServiceUnavailable):
    """The server cannot be reached.

    Also a :class:`nova.exception.ServiceUnavailable`: an API request that
    meets an LDAP outage is answered 503 (EC2 ``ServiceUnavailable``, the
    OpenStack API's ``serviceUnavailable`` fault) with a generic message,
    never the directory's URL, like a database or broker outage.
    """


class LdapUnavailable(exception.NovaException):
    """The LDAP auth driver cannot work here (client missing, server
    unreachable or refusing the bind)."""

    message = 'The LDAP auth driver cannot be used: %(reason)s'


def escape_filter(value):
    """``value`` escaped for use inside an LDAP filter (RFC 4515)."""
    out = []
    for char in str(value):
        if char in '\\*()\x00':
            out.append('\\%02x' % ord(char))
        else:
            out.append(char)
    return ''.join(out)


def escape_rdn(value):
    """``value`` escaped for use as an RDN value (RFC 4514)."""
    text = str(value)
    out = []
    for index, char in enumerate(text):
        if char in ',+"\\<>;=' or (char == '#' and index == 0) or \
                (char == ' ' and index in (0, len(text) - 1)):
            out.append('\\' + char)
        elif char == '\x00':
            out.append('\\00')
        else:
            out.append(char)
    return ''.join(out)


def client_problem():
    """Why ``ldap3`` cannot be used here, or None."""
    try:
        import ldap3  # noqa: F401
    except ImportError:
        return ('the LDAP client library ldap3 is not installed (%s)'
                % INSTALL_HINT)
    return None


class Ldap3Directory(object):
    """The directory interface over one ``ldap3`` connection.

    The connection is opened (and bound as ``user``) on first use, reopened
    once when the server went away, and shared by every driver of the
    process: callers serialize on a lock, ``ldap3``'s synchronous strategy
    being one request at a time.
    """

    _shared = {}
    _shared_lock = threading.Lock()

    def __init__(self, url, user, password, timeout=30):
        problem = client_problem()
        if problem:
            raise LdapUnavailable(reason=problem)
        import ldap3
        self.ldap3 = ldap3
        self.url = url
        self.user = user
        self.password = password
        self.timeout = timeout
        self.conn = None
        self.lock = threading.Lock()

    @classmethod
    def shared(cls, url, user, password):
        """The process-wide directory for ``(url, user, password)``."""
        key = (url, user, password)
        with cls._shared_lock:
            found = cls._shared.get(key)
            if found is None:
                found = cls._shared[key] = cls(url, user, password)
            return found

    def _connect(self):
        ldap3 = self.ldap3
        from ldap3.core import exceptions as errors
        server = ldap3.Server(self.url, get_info=ldap3.NONE,
                              connect_timeout=self.timeout)
        conn = ldap3.Connection(server, user=self.user,
                                password=self.password,
                                raise_exceptions=True,
                                receive_timeout=self.timeout)
        try:
            conn.bind()
        except errors.LDAPCommunicationError as exc:
            raise ServerDown('cannot reach %s: %s' % (self.url,
                                                      type(exc).__name__))
        except errors.LDAPException as exc:
            raise LdapUnavailable(reason='binding to %s as %s failed (%s)'
                                  % (self.url, self.user,
                                     type(exc).__name__))
        self.conn = conn

    def _run(self, operation):
        from ldap3.core import exceptions as errors
        with self.lock:
            for attempt in (1, 2):
                if self.conn is None:
                    self._connect()
                try:
                    return operation(self.conn)
                except errors.LDAPCommunicationError as exc:
                    self.conn = None
                    if attempt == 2:
                        raise ServerDown('lost %s: %s' % (
                            self.url, type(exc).__name__))
                except errors.LDAPNoSuchObjectResult as exc:
                    raise NoSuchObject(str(exc))
                except errors.LDAPEntryAlreadyExistsResult as exc:
                    raise AlreadyExists(str(exc))
                except errors.LDAPObjectClassViolationResult as exc:
                    raise ObjectClassViolation(str(exc))
                except errors.LDAPNotAllowedOnNotLeafResult as exc:
                    raise NotAllowedOnNonLeaf(str(exc))
                except errors.LDAPOperationResult as exc:
                    raise LdapError(str(exc))

    def search(self, base, scope, query):
        """``[(dn, {lower-case attr: [str]})]`` of entries matching."""
        ldap3 = self.ldap3
        level = ldap3.BASE if scope == SCOPE_BASE else ldap3.SUBTREE

        def operation(conn):
            conn.search(base, query, search_scope=level,
                        attributes=[ldap3.ALL_ATTRIBUTES])
            found = []
            for entry in conn.response or []:
                if entry.get('type') != 'searchResEntry':
                    continue
                attrs = {}
                for name, values in entry['raw_attributes'].items():
                    attrs[name.lower()] = [
                        v.decode('utf-8', 'replace')
                        if isinstance(v, bytes) else str(v)
                        for v in values]
                found.append((entry['dn'], attrs))
            return found
        return self._run(operation)

    def add(self, dn, attrs):
        """Create entry ``dn`` with ``attrs`` (``objectClass`` included)."""
        return self._run(lambda conn: conn.add(dn, attributes=dict(attrs)))

    def delete(self, dn):
        """Delete entry ``dn``."""
        return self._run(lambda conn: conn.delete(dn))

    def modify(self, dn, changes):
        """Apply ``[(op, attr, values)]`` to entry ``dn`` atomically."""
        ldap3 = self.ldap3
        ops = {'add': ldap3.MODIFY_ADD, 'delete': ldap3.MODIFY_DELETE,
               'replace': ldap3.MODIFY_REPLACE}
        request = {}
        for op, attr, values in changes:
            request.setdefault(attr, []).append((ops[op], list(values)))
        return self._run(lambda conn: conn.modify(dn, request))
