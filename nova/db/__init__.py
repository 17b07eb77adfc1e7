"""The database layer.  Callers use the facade: ``from nova import db``.

``db.<function>(context, ...)`` is :mod:`nova.db.api`'s function of that
name; functions of backend entity modules added later are reached the same
way.
"""

from nova.db.api import *  # noqa: F401,F403
from nova.db import api as _api


def __getattr__(name):
    return getattr(_api, name)
