"""An in-process LDAP directory for :class:`FakeLdapDriver` and the tests.

Diablo's fakeldap kept entries in a dict (or redis).  This one keeps them in
a process-wide dict behind the same four operations as a real directory
(:mod:`nova.auth.ldapconn`), and honours what the driver relies on from a
real server: filters with ``&``, ``|``, ``!``, equality and presence
(attribute names and values compared without case), base and subtree
scopes, ``noSuchObject`` for a missing base entry, ``entryAlreadyExists``,
the ``member`` a ``groupOfNames`` MUST keep, and no deletion of an entry
that still has children.  It knows no schema beyond that.
"""

import threading

from nova.auth import ldapconn

_LOCK = threading.RLock()
_ENTRIES = {}


def reset():
    """Forget every entry (tests)."""
    with _LOCK:
        _ENTRIES.clear()


def _norm(dn):
    return ','.join(part.strip() for part in dn.split(',')).lower()


def _unescape(text):
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == '\\' and index + 3 <= len(text):
            out.append(chr(int(text[index + 1:index + 3], 16)))
            index += 3
        else:
            out.append(char)
            index += 1
    return ''.join(out)


def _split_groups(text):
    """``'(a)(b)'`` -> ``['(a)', '(b)']``."""
    groups, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == '(':
            if depth == 0:
                start = index
            depth += 1
        elif char == ')':
            depth -= 1
            if depth == 0:
                groups.append(text[start:index + 1])
    if depth != 0:
        raise ldapconn.LdapError('bad filter: %r' % text)
    return groups


def matches(query, attrs):
    """Whether ``attrs`` (lower-case names) match the filter ``query``."""
    query = query.strip()
    if not (query.startswith('(') and query.endswith(')')):
        query = '(%s)' % query
    inner = query[1:-1]
    if inner.startswith('&'):
        return all(matches(q, attrs) for q in _split_groups(inner[1:]))
    if inner.startswith('|'):
        return any(matches(q, attrs) for q in _split_groups(inner[1:]))
    if inner.startswith('!'):
        return not matches(inner[1:], attrs)
    name, sep, value = inner.partition('=')
    if not sep:
        raise ldapconn.LdapError('bad filter: %r' % query)
    values = attrs.get(name.strip().lower(), [])
    if value == '*':
        return bool(values)
    wanted = _unescape(value).lower()
    if name.strip().lower() in ('member', 'owner', 'projectmanager'):
        wanted = _norm(wanted)
        return any(_norm(v) == wanted for v in values)
    return any(v.lower() == wanted for v in values)


class FakeDirectory(object):
    """The directory interface over the process-wide in-memory store."""

    def search(self, base, scope, query):
        """``[(dn, {lower-case attr: [str]})]`` of entries matching."""
        key = _norm(base)
        with _LOCK:
            if scope == ldapconn.SCOPE_BASE:
                if key not in _ENTRIES:
                    raise ldapconn.NoSuchObject(base)
                candidates = [_ENTRIES[key]]
            else:
                candidates = [entry for dn, entry in _ENTRIES.items()
                              if dn == key or dn.endswith(',' + key)]
            return [(entry['dn'], _copy(entry['attrs']))
                    for entry in candidates
                    if matches(query or '(objectclass=*)', entry['attrs'])]

    def add(self, dn, attrs):
        """Create entry ``dn``."""
        key = _norm(dn)
        with _LOCK:
            if key in _ENTRIES:
                raise ldapconn.AlreadyExists(dn)
            stored = {}
            for name, values in attrs.items():
                values = [values] if isinstance(values, str) else values
                stored.setdefault(name.lower(), []).extend(
                    str(v) for v in values)
            _check_classes(stored)
            _ENTRIES[key] = {'dn': dn, 'attrs': stored}

    def delete(self, dn):
        """Delete entry ``dn`` (a leaf)."""
        key = _norm(dn)
        with _LOCK:
            if key not in _ENTRIES:
                raise ldapconn.NoSuchObject(dn)
            if any(other.endswith(',' + key) for other in _ENTRIES):
                raise ldapconn.NotAllowedOnNonLeaf(dn)
            del _ENTRIES[key]

    def modify(self, dn, changes):
        """Apply ``[(op, attr, values)]`` atomically."""
        key = _norm(dn)
        with _LOCK:
            if key not in _ENTRIES:
                raise ldapconn.NoSuchObject(dn)
            attrs = _copy(_ENTRIES[key]['attrs'])
            for op, name, values in changes:
                name = name.lower()
                values = [values] if isinstance(values, str) else \
                    [str(v) for v in values]
                current = attrs.get(name, [])
                if op == 'replace':
                    current = list(values)
                elif op == 'add':
                    lowered = [v.lower() for v in current]
                    if any(v.lower() in lowered for v in values):
                        raise ldapconn.LdapError('value exists: %s' % name)
                    current = current + list(values)
                elif op == 'delete':
                    if not values:
                        current = []
                    else:
                        drop = {_norm(v) for v in values}
                        if not drop <= {_norm(v) for v in current}:
                            raise ldapconn.LdapError('no such value: %s'
                                                     % name)
                        current = [v for v in current
                                   if _norm(v) not in drop]
                else:
                    raise ldapconn.LdapError('bad modify op %r' % op)
                if current:
                    attrs[name] = current
                else:
                    attrs.pop(name, None)
            _check_classes(attrs)
            _ENTRIES[key]['attrs'] = attrs


def _check_classes(attrs):
    classes = {c.lower() for c in attrs.get('objectclass', [])}
    if 'groupofnames' in classes and not attrs.get('member'):
        raise ldapconn.ObjectClassViolation(
            'groupOfNames requires attribute member')


def _copy(attrs):
    return {name: list(values) for name, values in attrs.items()}
