"""Logging set-up with Diablo's flags and formats.

Records logged with a request context (``extra={'context': ctx}`` or a
:class:`ContextAdapter`) use ``--logging_context_format_string``, which names
the request id, user and project; others use
``--logging_default_format_string``.  Debug records get
``--logging_debug_format_suffix``; every traceback line is prefixed with
``--logging_exception_prefix``.
"""

import logging
import logging.handlers
import os
import re
import sys

from nova import flags

FLAGS = flags.FLAGS

flags.DEFINE_string(
    'logging_context_format_string',
    '%(asctime)s %(levelname)s %(name)s [%(request_id)s %(user_id)s '
    '%(project_id)s] %(message)s',
    'format string for log records that carry a request context')
flags.DEFINE_string(
    'logging_default_format_string',
    '%(asctime)s %(levelname)s %(name)s [-] %(message)s',
    'format string for log records without a request context')
flags.DEFINE_string(
    'logging_debug_format_suffix',
    'from (pid=%(process)d) %(funcName)s %(pathname)s:%(lineno)d',
    'text appended to debug records')
flags.DEFINE_string(
    'logging_exception_prefix', '(%(name)s): TRACE: ',
    'prefix of each traceback line')
flags.DEFINE_list(
    'default_log_levels',
    ['amqplib=WARN', 'sqlalchemy=WARN', 'boto=WARN',
     'eventlet.wsgi.server=WARN'],
    'logger=LEVEL pairs')
flags.DEFINE_bool('use_syslog', False, 'log to syslog')
flags.DEFINE_string('logfile', None, 'log to this file')
flags.DEFINE_bool('publish_errors', False,
                  'publish error log records as notifications',
                  unsupported='notifications')

AUDIT = logging.INFO + 1
logging.addLevelName(AUDIT, 'AUDIT')

_CONTEXT_FIELDS = ('request_id', 'user_id', 'project_id')
# Older names the admin manual's format strings use (%(user)s, %(project)s).
_FIELD_ALIASES = (('user', 'user_id'), ('project', 'project_id'))


#: Characters that could forge a log line or a terminal escape: C0 (but
#: TAB), DEL, C1 and the Unicode line/paragraph separators.
_CONTROL_RE = re.compile('[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]')


def _escaped(match):
    code = ord(match.group())
    return '\\x%02x' % code if code < 0x100 else '\\u%04x' % code


def escape_controls(text):
    """``text`` with control characters written as ``\\xNN`` escapes."""
    return _CONTROL_RE.sub(_escaped, text)


class NovaFormatter(logging.Formatter):
    """Chooses the context or default format per record, from the flags.

    The message (with its arguments) never spans lines: control characters
    a request smuggled into it (a newline in an access key, ``%0a`` in a
    path) are escaped, so no one can forge a log line.  Tracebacks keep
    their lines.
    """

    def format(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - logging reports it itself
            message = None
        if message is not None:
            safe = escape_controls(message)
            if safe != message:
                record.msg, record.args = safe, None
        context = getattr(record, 'context', None)
        for field in _CONTEXT_FIELDS:
            if not hasattr(record, field):
                value = getattr(context, field, None) if context else None
                setattr(record, field, value if value is not None else '-')
        for alias, field in _FIELD_ALIASES:
            if not hasattr(record, alias):
                setattr(record, alias, getattr(record, field))
        if context is not None or getattr(record, 'request_id', '-') != '-':
            fmt = FLAGS.logging_context_format_string
        else:
            fmt = FLAGS.logging_default_format_string
        if record.levelno == logging.DEBUG and FLAGS.logging_debug_format_suffix:
            fmt = fmt + ' ' + FLAGS.logging_debug_format_suffix
        self._style._fmt = fmt
        self._fmt = fmt
        saved_exc = record.exc_info
        record.exc_info = None
        record.exc_text = None
        text = super(NovaFormatter, self).format(record)
        record.exc_info = saved_exc
        if saved_exc:
            try:
                prefix = FLAGS.logging_exception_prefix % record.__dict__
            except (KeyError, ValueError, TypeError):
                # A prefix naming a field records lack: keep the trace.
                prefix = FLAGS.logging_exception_prefix
            trace = self.formatException(saved_exc)
            text += '\n' + '\n'.join(prefix + line
                                     for line in trace.splitlines())
        return text


class ContextAdapter(logging.LoggerAdapter):
    """A logger that adds a request context to each record it emits."""

    def process(self, msg, kwargs):
        extra = kwargs.setdefault('extra', {})
        context = kwargs.pop('context', None) or self.extra.get('context')
        if context is not None:
            extra['context'] = context
        return msg, kwargs

    def audit(self, msg, *args, **kwargs):
        """Log at Nova's AUDIT level (between INFO and WARNING)."""
        kwargs.setdefault('stacklevel', 2)
        self.log(AUDIT, msg, *args, **kwargs)


def getLogger(name='nova', context=None):  # noqa: N802 - Diablo's name
    """A :class:`ContextAdapter` over the standard logger ``name``."""
    return ContextAdapter(logging.getLogger(name), {'context': context})


def _log_path(binary):
    if FLAGS.logfile:
        return FLAGS.logfile
    if FLAGS.logdir:
        return os.path.join(FLAGS.logdir, '%s.log' % binary)
    return None


def setup(binary=None):
    """Configure the root logger from the flags; call once per daemon.

    ``--logdir`` gives ``<logdir>/<binary>.log`` (e.g. ``nova-api.log``),
    ``--logfile`` a file of its own, ``--use_syslog`` the local syslog;
    otherwise records go to standard error.
    """
    binary = binary or os.path.basename(sys.argv[0]) or 'nova'
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    formatter = NovaFormatter()
    handlers = []
    path = _log_path(binary)
    if FLAGS.use_syslog:
        address = '/dev/log' if os.path.exists('/dev/log') else (
            'localhost', logging.handlers.SYSLOG_UDP_PORT)
        syslog = logging.handlers.SysLogHandler(address=address)
        syslog.ident = '%s: ' % binary
        handlers.append(syslog)
    if path:
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        handlers.append(logging.handlers.WatchedFileHandler(path))
        try:
            os.chmod(path, FLAGS.logfile_mode)
        except OSError:
            pass
    if not handlers:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if FLAGS.verbose else logging.INFO)
    for pair in FLAGS.default_log_levels:
        name, _sep, level = pair.partition('=')
        if name and level:
            logging.getLogger(name.strip()).setLevel(
                logging.getLevelName(level.strip().upper()))
    return root
