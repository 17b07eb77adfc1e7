"""Tests of nova.log: where records go and how they look, from the flags."""

import logging
import logging.handlers
import os
import re

import pytest

from nova import context
from nova import flags
from nova import log

FLAGS = flags.FLAGS
_TOUCHED = ('logdir', 'logfile', 'verbose', 'use_syslog',
            'default_log_levels', 'logging_context_format_string',
            'logging_exception_prefix')


@pytest.fixture(autouse=True)
def restore_logging():
    """Give back the root logger and the flags as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    saved = {name: FLAGS.raw(name) for name in _TOUCHED if FLAGS.is_set(name)}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in handlers:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name in _TOUCHED:
        FLAGS.reset(name)
        if name in saved:
            FLAGS.set(name, saved[name])
    for name in ('amqplib', 'sqlalchemy', 'boto', 'eventlet.wsgi.server',
                 'nova.test.quiet'):
        logging.getLogger(name).setLevel(logging.NOTSET)


def _file_handlers():
    return [h for h in logging.getLogger().handlers
            if isinstance(h, logging.FileHandler)]


def _read(path):
    for handler in logging.getLogger().handlers:
        handler.flush()
    with open(path) as handle:
        return handle.read()


def test_logdir_gives_one_file_per_service(tmp_path):
    FLAGS.set('logdir', str(tmp_path / 'logs'))
    log.setup('nova-compute')
    path = tmp_path / 'logs' / 'nova-compute.log'
    (handler,) = _file_handlers()
    assert handler.baseFilename == str(path)
    log.getLogger('nova.test').info('hello from compute')
    assert 'hello from compute' in _read(path)
    assert oct(os.stat(path).st_mode & 0o777) == oct(FLAGS.logfile_mode)


def test_logfile_wins_over_logdir(tmp_path):
    FLAGS.set('logdir', str(tmp_path / 'logs'))
    FLAGS.set('logfile', str(tmp_path / 'mine.log'))
    log.setup('nova-api')
    (handler,) = _file_handlers()
    assert handler.baseFilename == str(tmp_path / 'mine.log')
    assert not (tmp_path / 'logs' / 'nova-api.log').exists()


def test_no_file_means_standard_error():
    log.setup('nova-api')
    (handler,) = logging.getLogger().handlers
    assert type(handler) is logging.StreamHandler


def test_verbose_sets_debug_and_appends_the_suffix(tmp_path):
    FLAGS.set('logfile', str(tmp_path / 'x.log'))
    log.setup('nova-api')
    assert logging.getLogger().level == logging.INFO
    FLAGS.set('verbose', True)
    log.setup('nova-api')
    assert logging.getLogger().level == logging.DEBUG
    logger = log.getLogger('nova.test')
    logger.debug('debugging')
    logger.info('informing')
    lines = _read(tmp_path / 'x.log').splitlines()
    debug = [line for line in lines if 'debugging' in line][0]
    info = [line for line in lines if 'informing' in line][0]
    assert re.search(r'debugging from \(pid=%d\) '
                     r'test_verbose_sets_debug_and_appends_the_suffix '
                     r'\S+test_log\.py:\d+$' % os.getpid(), debug), debug
    assert info.endswith('informing')


def test_default_log_levels_applied():
    FLAGS.set('default_log_levels', 'nova.test.quiet=ERROR, boto=DEBUG')
    log.setup('nova-api')
    assert logging.getLogger('nova.test.quiet').level == logging.ERROR
    assert logging.getLogger('boto').level == logging.DEBUG


def test_diablo_default_log_levels():
    log.setup('nova-api')
    for name in ('amqplib', 'sqlalchemy', 'boto', 'eventlet.wsgi.server'):
        assert logging.getLogger(name).level == logging.WARNING


def test_default_format_has_no_context(tmp_path):
    FLAGS.set('logfile', str(tmp_path / 'x.log'))
    log.setup('nova-api')
    log.getLogger('nova.test').warning('plain %s', 'record')
    line = _read(tmp_path / 'x.log').strip()
    assert re.match(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING '
                    r'nova\.test \[-\] plain record$', line), line


def test_context_format_names_request_user_and_project(tmp_path):
    FLAGS.set('logfile', str(tmp_path / 'x.log'))
    log.setup('nova-api')
    ctx = context.RequestContext('alice', 'proj1', request_id='req-42')
    log.getLogger('nova.test', context=ctx).info('with context')
    log.getLogger('nova.test').info('per call', context=ctx)
    logging.getLogger('nova.test').info('extra', extra={'context': ctx})
    lines = _read(tmp_path / 'x.log').splitlines()
    assert len(lines) == 3
    for line in lines:
        assert ' INFO nova.test [req-42 alice proj1] ' in line, line


def test_manuals_older_context_format_works(tmp_path):
    # The admin manual shows %(user)s and %(project)s (Cactus names).
    FLAGS.set('logfile', str(tmp_path / 'x.log'))
    FLAGS.set('logging_context_format_string',
              '[%(request_id)s %(user)s %(project)s] %(message)s')
    log.setup('nova-api')
    ctx = context.RequestContext('bob', 'p2', request_id='req-7')
    log.getLogger('nova.test', context=ctx).info('old names')
    assert _read(tmp_path / 'x.log').strip() == '[req-7 bob p2] old names'


def test_exception_prefix_on_each_traceback_line(tmp_path):
    FLAGS.set('logfile', str(tmp_path / 'x.log'))
    log.setup('nova-api')
    try:
        raise ValueError('broken')
    except ValueError:
        log.getLogger('nova.test').exception('it failed')
    lines = _read(tmp_path / 'x.log').splitlines()
    assert lines[0].endswith('[-] it failed')
    trace = lines[1:]
    assert len(trace) >= 3
    assert all(line.startswith('(nova.test): TRACE: ') for line in trace)
    assert trace[0] == '(nova.test): TRACE: Traceback (most recent call ' \
                       'last):'
    assert trace[-1] == '(nova.test): TRACE: ValueError: broken'


def test_bad_exception_prefix_does_not_lose_the_record(tmp_path):
    FLAGS.set('logfile', str(tmp_path / 'x.log'))
    FLAGS.set('logging_exception_prefix', '%(nonexistent)s TRACE: ')
    log.setup('nova-api')
    try:
        raise KeyError('k')
    except KeyError:
        log.getLogger('nova.test').exception('still logged')
    text = _read(tmp_path / 'x.log')
    assert 'still logged' in text and "KeyError: 'k'" in text


def test_audit_level(tmp_path):
    FLAGS.set('logfile', str(tmp_path / 'x.log'))
    log.setup('nova-api')
    log.getLogger('nova.test').audit('audited')
    assert ' AUDIT nova.test [-] audited' in _read(tmp_path / 'x.log')


def test_use_syslog_adds_a_syslog_handler(monkeypatch):
    made = []

    class FakeSysLogHandler(logging.Handler):
        def __init__(self, address=None, **kwargs):
            super(FakeSysLogHandler, self).__init__()
            made.append(address)

        def emit(self, record):
            pass

    monkeypatch.setattr(logging.handlers, 'SysLogHandler', FakeSysLogHandler)
    FLAGS.set('use_syslog', True)
    log.setup('nova-network')
    handlers = logging.getLogger().handlers
    syslog = [h for h in handlers if isinstance(h, FakeSysLogHandler)]
    assert len(syslog) == 1
    assert syslog[0].ident == 'nova-network: '
    assert isinstance(syslog[0].formatter, log.NovaFormatter)
    assert made and made[0]
