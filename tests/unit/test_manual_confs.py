"""Every nova.conf example of the admin manual parses.

The examples are the runs of consecutive ``--name[=value]`` lines (and ``#``
comments) inside the manual's code blocks.  The manual is a PDF turned into
text: lines the PDF wrapped end a run, so a wrapped example is checked as
two.  A code block quoting a flag in running text (``--use_deprecated_auth
flag``) is not a flagfile line and is not extracted.

Each example is written to a file of its own and read by a fresh FlagValues
holding every definition of the global FLAGS, so nothing leaks between
examples or into FLAGS.  Names nobody defines (``--daemonize``...) must give
exactly one warning line each, as Diablo tolerated them.  The same is
checked for etc/nova/nova.conf.sample.
"""

import importlib.util
import logging
import os
import re

import pytest

from nova import flags

HERE = os.path.dirname(os.path.abspath(__file__))
MANUAL = os.path.join(HERE, '..', 'data', 'reference', 'admin-manual.txt')
SAMPLE = os.path.join(HERE, '..', '..', 'etc', 'nova', 'nova.conf.sample')

FLAG_LINE = re.compile(r'^-{1,2}[A-Za-z_][\w-]*(\s*=.*)?$')

# Placeholders the manual asks operators to replace ("Customize the nova.conf
# example below to match your environment"), with what an operator writes.
PLACEHOLDERS = {
    '--network_size=number of addresses': '--network_size=24',
    '--vpn_image_id=ami-xxxxxxxx': '--vpn_image_id=ami-0000002a',
}

# Names the manual's examples use that neither Diablo 2011.3 nor we define;
# Diablo ignored them, so do we (with a warning).
TOLERATED_UNKNOWN = {
    'daemonize', 'nodaemon', 'debug', 'FAKE_subdomain', 'cc_host', 'ec2_api',
    'keystone_ec2_url', 'xenapi_inject_image',
}


def _pending():
    """The PENDING set of test_flags.py (one list for the lead to empty)."""
    spec = importlib.util.spec_from_file_location(
        '_nova_test_flags_pending', os.path.join(HERE, 'test_flags.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PENDING


PENDING = _pending()


def manual_examples():
    """``[(first_line_number, [lines])]`` of the manual's nova.conf runs."""
    if not os.path.exists(MANUAL):
        return []
    with open(MANUAL, encoding='utf-8') as handle:
        lines = handle.read().splitlines()
    examples, run, start, in_code = [], [], 0, False

    def flush():
        if any(FLAG_LINE.match(line) for line in run):
            examples.append((start, list(run)))
        del run[:]

    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if line.startswith('```'):
            flush()
            in_code = not in_code
            continue
        if in_code and (FLAG_LINE.match(line) or line.startswith('#')):
            if not run:
                start = number
            run.append(PLACEHOLDERS.get(line, line))
            continue
        flush()
    flush()
    return examples


EXAMPLES = manual_examples()


def fresh_flag_values():
    """A FlagValues with every definition of FLAGS and no values."""
    flags.import_flag_modules()
    values = flags.FlagValues()
    for name in flags.FLAGS:
        values.define(flags.FLAGS.get_flag(name))
    return values


def parse_file(path, caplog):
    """Parse one flagfile; return (FlagValues, {unknown name: warnings})."""
    values = fresh_flag_values()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger='nova.flags'):
        values(['nova-test', '--flagfile=%s' % path])
    warned = {}
    for record in caplog.records:
        if record.name != 'nova.flags':
            continue
        message = record.getMessage()
        assert '\n' not in message
        match = re.match(r'ignoring unknown flag --(\S+) ', message)
        assert match, message
        warned[match.group(1)] = warned.get(match.group(1), 0) + 1
    return values, warned


def test_examples_found():
    if not os.path.exists(MANUAL):
        pytest.skip('reference/admin-manual.txt not found at %s' % MANUAL)
    assert len(EXAMPLES) >= 12
    flag_lines = sum(1 for _start, lines in EXAMPLES for line in lines
                     if FLAG_LINE.match(line))
    assert flag_lines >= 150


@pytest.mark.parametrize('start,lines', EXAMPLES,
                         ids=['line%d' % start for start, _ in EXAMPLES])
def test_manual_example_parses(start, lines, tmp_path, caplog):
    # An example including /etc/nova/nova-compute.conf: the manual shows
    # that file separately; an empty one stands in for it.
    text = []
    for line in lines:
        if line.startswith('--flagfile=/etc/nova/'):
            included = tmp_path / os.path.basename(line.split('=', 1)[1])
            included.write_text('# compute settings\n')
            line = '--flagfile=%s' % included
        text.append(line)
    conf = tmp_path / 'nova.conf'
    conf.write_text('\n'.join(text) + '\n')

    values, warned = parse_file(conf, caplog)

    names = set()
    for line in lines:
        if FLAG_LINE.match(line):
            name = line.lstrip('-').split('=', 1)[0].strip()
            if name.startswith('no') and values._lookup(name) is None:
                if values._lookup(name[2:]) is not None:
                    name = name[2:]
            names.add(name)
    names.discard('flagfile')
    unknown = {n for n in names if values._lookup(n) is None}
    assert set(warned) == unknown
    assert all(count == 1 for count in warned.values()), warned
    assert unknown <= TOLERATED_UNKNOWN | PENDING, unknown - TOLERATED_UNKNOWN
    for name in names - unknown:
        assert values.is_set(values._lookup(name).name), name


def test_the_tolerated_names_of_the_issue_are_met(tmp_path, caplog):
    if not EXAMPLES:
        pytest.skip('reference/admin-manual.txt not found at %s' % MANUAL)
    conf = tmp_path / 'all.conf'
    conf.write_text('\n'.join(line for _start, lines in EXAMPLES
                              for line in lines
                              if not line.startswith('--flagfile')) + '\n')
    values, warned = parse_file(conf, caplog)
    for name in ('daemonize', 'FAKE_subdomain', 'cc_host', 'ec2_api'):
        assert warned.get(name) == 1, name
    # Values the examples give, typed and templated.
    assert values.vpn_image_id == 42
    assert values.multi_host is True
    assert values.use_ipv6 in (True, False)
    assert values.raw('sql_connection').startswith(('mysql://',
                                                    'postgresql://'))


def test_flagfile_errors_still_fatal_in_manual_style_files(tmp_path):
    conf = tmp_path / 'nova.conf'
    conf.write_text('--network_size=number of addresses\n')
    with pytest.raises(flags.FlagValueError, match='--network_size'):
        fresh_flag_values()(['nova-test', '--flagfile=%s' % conf])


def test_sample_conf_parses_without_unknown_flags(caplog):
    assert os.path.exists(SAMPLE), SAMPLE
    values, warned = parse_file(SAMPLE, caplog)
    assert set(warned) <= PENDING, set(warned) - PENDING
    assert values.sql_connection == 'mysql://root:nova@127.0.0.1/nova'
    assert values.connection_type == 'libvirt'
    assert values.libvirt_type == 'qemu'
    assert values.network_manager == 'nova.network.manager.FlatDHCPManager'
    assert values.flat_network_bridge == 'br100'
    assert values.state_path == '/var/lib/nova'
    assert values.logdir == '/var/log/nova'
    assert values.verbose is True
    assert values.is_set('rabbit_host') and values.is_set('my_ip')
    assert values.ec2_host == values.my_ip
