"""Start-up shared by every daemon: flags, default flagfile, logging."""

import os
import sys

from nova import flags
from nova import log as logging
from nova.utils import flagcheck
from nova.utils import flaglearn

FLAGS = flags.FLAGS

DEFAULT_FLAGFILES = ('./nova.conf', '/etc/nova/nova.conf')


def default_flagfiles():
    """Where a flagfile is looked for: ``$NOVA_FLAGFILE`` (the one
    run_cloud.sh's novarc exports), then Diablo's ./nova.conf and
    /etc/nova/nova.conf.
    """
    env = os.environ.get('NOVA_FLAGFILE')
    return ((env,) if env else ()) + DEFAULT_FLAGFILES


def with_default_flagfile(argv):
    """Add ``--flagfile`` for the first of :func:`default_flagfiles` that
    exists, if none is given.

    Diablo's daemons did the same, so an operator's init script needs no
    arguments.
    """
    if any(a == '--flagfile' or a.startswith('--flagfile=') for a in argv):
        return list(argv)
    for path in default_flagfiles():
        if os.path.exists(path):
            return [argv[0], '--flagfile=%s' % os.path.abspath(path)] + \
                list(argv[1:])
    return list(argv)


def parse_args(argv=None, binary=None, keep_unknown=False):
    """Parse flags (exit with one clear line on error) and set up logging.

    Returns the non-flag arguments.  ``--help`` prints the flags grouped by
    module and exits.
    """
    argv = list(sys.argv if argv is None else argv)
    binary = binary or os.path.basename(argv[0] if argv else 'nova')
    # Every flag is known, but only this daemon's modules stay imported.
    flaglearn.learn_flag_definitions()
    try:
        rest = FLAGS(with_default_flagfile(argv), keep_unknown=keep_unknown)
    except flags.FlagError as exc:
        sys.stderr.write('%s: %s\n' % (binary, exc))
        sys.exit(2)
    if '--help' in rest:
        print('Usage: %s [--flagfile=FILE] [--flag=value ...]\n' % binary)
        print(FLAGS.help_text())
        sys.exit(0)
    try:
        # A driver, backend or choice we cannot honour stops the start.
        flagcheck.check(FLAGS)
    except flags.FlagError as exc:
        sys.stderr.write('%s: %s\n' % (binary, exc))
        sys.exit(2)
    try:
        logging.setup(binary)
    except OSError as exc:
        # An unwritable --logdir/--logfile: one line, not a traceback.
        sys.stderr.write('%s: cannot open the log: %s\n' % (binary, exc))
        sys.exit(2)
    # Flags of Diablo features we lack: one warning line, in the log.
    flagcheck.warn_ignored(FLAGS, logging.getLogger('nova.flags'))
    tune_garbage_collector()
    return rest


def tune_garbage_collector():
    """Run the cyclic garbage collector less often than CPython's default.

    Listing a thousand instances allocates a few hundred thousand
    short-lived objects; with the default threshold (700) the collector
    runs hundreds of times per request and now and then walks the whole
    heap (measured: a 110 ms full collection every other DescribeInstances
    of 1,000 instances).
    """
    import gc
    gc.set_threshold(50000, 50, 100)


def start_or_exit(binary, starter):
    """Call ``starter``; on a known start-up failure print one line and exit.

    Start-up failures an operator can fix (database or broker unreachable, a
    missing paste config, a bad manager class) end the program with status 1
    and a single line naming the problem, never a traceback.
    """
    from nova import exception
    try:
        return starter()
    except exception.NovaException as exc:
        logging.getLogger('nova').error('%s', exc)
        sys.stderr.write('%s: %s\n' % (binary, exc))
        sys.exit(1)
