"""The declarative base every Nova model shares.

:class:`NovaBase` gives each model Diablo's four bookkeeping columns
(``created_at``, ``updated_at``, ``deleted_at``, ``deleted``) and the
dictionary-like access callers rely on (``ref['host']``, ``ref.get(...)``,
``ref.update(values)``, ``dict(ref.iteritems())``).
"""

from sqlalchemy import Boolean, Column, DateTime, MetaData, inspect
from sqlalchemy.orm import declarative_base

from nova import utils


# Explicit constraint names, identical on SQLite, MySQL and PostgreSQL, so
# that later migrations can name what they alter.
NAMING_CONVENTION = {
    'ix': 'ix_%(table_name)s_%(column_0_name)s',
    'uq': 'uniq_%(table_name)s_%(column_0_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s',
}

# Options every table is created with on MySQL.  The migrations give them
# (nova/db/migrations); the models do not carry them, as table keyword
# arguments would load SQLAlchemy's MySQL dialect (~1 MB) into every
# daemon, MySQL or not.  register_models() applies them on MySQL.
MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


def table_args(*constraints):
    """``__table_args__`` holding ``constraints``."""
    return tuple(constraints)


class NovaBase(object):
    """Base class for Nova models: soft delete and dict-style access."""

    __table_args__ = table_args()

    created_at = Column(DateTime, default=utils.utcnow)
    updated_at = Column(DateTime, onupdate=utils.utcnow)
    deleted_at = Column(DateTime)
    deleted = Column(Boolean, default=False)

    # Computed attributes (properties) that iteration also yields.
    _extra_keys = []
    # Item names kept for Diablo callers that map to another attribute.
    _item_aliases = {}

    # -- persistence ----------------------------------------------------
    def save(self, session):
        """Add this object to ``session`` and flush it."""
        session.add(self)
        session.flush()

    def delete(self, session):
        """Soft-delete: mark the row deleted and flush."""
        self.deleted = True
        self.deleted_at = utils.utcnow()
        self.save(session)

    # -- dict-style access ------------------------------------------------
    def _key(self, key):
        return self._item_aliases.get(key, key)

    def __getitem__(self, key):
        try:
            return getattr(self, self._key(key))
        except AttributeError:
            raise KeyError(key)

    def __setitem__(self, key, value):
        setattr(self, self._key(key), value)

    def __contains__(self, key):
        return hasattr(self, self._key(key))

    def get(self, key, default=None):
        """Value of ``key``, or ``default`` when the model has no such key."""
        return getattr(self, self._key(key), default)

    def keys(self):
        """Column names followed by the extra (computed) keys."""
        return [col.key for col in inspect(type(self)).column_attrs] + \
            list(self._extra_keys)

    def __iter__(self):
        """Iterate over ``(name, value)`` pairs, as Diablo's models did."""
        return iter(self.items())

    def items(self):
        """``(name, value)`` pairs of the columns and extra keys."""
        return [(key, getattr(self, key)) for key in self.keys()]

    def iteritems(self):
        """Diablo spelling of :meth:`items`."""
        return iter(self.items())

    def update(self, values):
        """Set several attributes from a dict (or ``(key, value)`` pairs)."""
        if hasattr(values, 'items'):
            values = values.items()
        for key, value in values:
            setattr(self, self._key(key), value)

    def to_dict(self):
        """A plain dict of the columns and extra keys."""
        return dict(self.items())

    def __repr__(self):
        ident = inspect(self).identity
        return '<%s %s>' % (type(self).__name__,
                            ident if ident is None or len(ident) > 1
                            else ident[0])


BASE = declarative_base(
    cls=NovaBase, metadata=MetaData(naming_convention=NAMING_CONVENTION))
