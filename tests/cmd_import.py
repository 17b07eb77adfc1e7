"""Import a ``nova.cmd`` module in a test without monkey-patching.

Importing the ``nova.cmd`` package makes the whole process cooperative
(eventlet), as every daemon needs.  A test module that imported it at its
top would do that to the whole pytest run at collection time, and the
functional and unit tests that expect real threads and sockets would then
run green.  :func:`import_cmd` imports the module with the patching held
off; the daemons themselves (run as subprocesses) still patch.
"""

import importlib
from unittest import mock


def import_cmd(name):
    """``nova.cmd.<name>``, imported without patching the process."""
    with mock.patch('nova.utils.concurrency.monkey_patch'):
        return importlib.import_module('nova.cmd.' + name)
