"""Run message handlers again while the database is unreachable.

A database restart must not turn the work in flight into errors: a handler
whose database work fails because the server went away (see
:func:`nova.db.sqlalchemy.session.is_disconnect`) is run again, with
back-off from half a second up to ``--sql_retry_interval`` seconds, at most
``--sql_max_retries`` times (a negative value: forever).  The connection
pool pings connections before use, so the next attempt reconnects.  This
is safe because handlers are idempotent under redelivery.
"""

import functools
import logging
import random

from nova import flags
from nova.db import api as db_api
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.db.retry')

_FIRST_DELAY = 0.5


def is_disconnect(error):
    """Whether ``error`` says the database is unreachable."""
    try:
        check = db_api.is_disconnect
    except AttributeError:      # a backend that cannot tell
        return False
    return check(error)


def _delay(attempt):
    cap = max(float(FLAGS.sql_retry_interval), _FIRST_DELAY)
    return min(cap, _FIRST_DELAY * 2 ** (attempt - 1)) * \
        random.uniform(0.75, 1.0)


def call_with_db_retries(func, *args, **kwargs):
    """``func(*args, **kwargs)``, run again while the database is away."""
    attempt = 0
    while True:
        try:
            return func(*args, **kwargs)
        except Exception as error:
            attempt += 1
            limit = FLAGS.sql_max_retries
            if not is_disconnect(error) or (limit >= 0 and
                                            attempt > limit):
                raise
            delay = _delay(attempt)
            LOG.warning('%s: database unreachable (%s); running it again '
                        'in %.1fs (attempt %d)',
                        getattr(func, '__name__', func),
                        ' '.join(str(error).split())[:200], delay, attempt)
            concurrency.sleep(delay)


class RetryingProxy(object):
    """A manager whose public methods retry on database outages.

    Given to the RPC consumers in place of the manager itself.
    """

    def __init__(self, manager):
        self._manager = manager

    def __getattr__(self, name):
        value = getattr(self._manager, name)
        if name.startswith('_') or not callable(value):
            return value

        @functools.wraps(value)
        def handler(*args, **kwargs):
            return call_with_db_retries(value, *args, **kwargs)
        return handler
