"""Tests of nova.flags: types, parsing, flagfiles, templates, errors, help.

Most tests use a FlagValues of their own so that the global FLAGS is left
alone.  The reference tests check every flag of Diablo 2011.3
(reference/flags.md) and of the admin manual's flag tables against FLAGS.
"""

import ast
import logging
import os
import re

import pytest

from nova import flags
from nova.utils import cmdline as common

REFERENCE_DIR = os.path.join(os.path.dirname(__file__), '..', 'data',
                             'reference')
FLAGS_MD = os.path.join(REFERENCE_DIR, 'flags.md')
MANUAL = os.path.join(REFERENCE_DIR, 'admin-manual.txt')

# Flags that other engineers are defining in their own modules right now
# (nova/db/api.py, nova/rpc, nova/crypto.py, nova/quota.py,
# nova/auth/manager.py, the EC2 lockout, nova/service.py and
# service_down_time).  A name here may be absent for now; if present, its
# default is checked like any other.  The lead empties this set once those
# modules have landed.
PENDING = {
    # nova/db/api.py
    'db_backend', 'instance_name_template', 'volume_name_template',
    'snapshot_name_template', 'vsa_name_template', 'enable_new_services',
    # nova/rpc
    'rpc_backend', 'rpc_conn_pool_size', 'rpc_thread_pool_size',
    # nova/crypto.py
    'ca_file', 'key_file', 'crl_file', 'keys_path', 'ca_path',
    'use_project_ca', 'user_cert_subject', 'project_cert_subject',
    'vpn_cert_subject',
    # nova/quota.py
    'quota_cores', 'quota_floating_ips', 'quota_gigabytes',
    'quota_instances', 'quota_max_injected_file_content_bytes',
    'quota_max_injected_file_path_bytes', 'quota_max_injected_files',
    'quota_metadata_items', 'quota_ram', 'quota_volumes',
    # nova/auth/manager.py
    'auth_driver', 'global_roles', 'allowed_roles', 'superuser_roles',
    'credentials_template', 'credential_cert_file', 'credential_key_file',
    'credential_rc_file', 'credential_vpn_file', 'vpn_client_template',
    'use_deprecated_auth',
    # EC2 lockout
    'lockout_attempts', 'lockout_minutes', 'lockout_window',
    # nova/service.py
    'report_interval', 'periodic_interval', 'ec2_listen', 'ec2_listen_port',
    'osapi_listen', 'osapi_listen_port', 'api_paste_config',
    'service_down_time',
}

# bin/stack's own options (user, project, port, host) are not nova.conf
# flags; flags.md lists them with the rest.
SKIPPED_OWNERS = {'bin/stack'}

# Names defined twice in Diablo: the owner whose definition we keep.
PREFERRED_OWNER = {
    'host': 'nova/flags.py',
    'console_driver': 'nova/console/manager.py',
    'console_public_hostname': 'nova/console/manager.py',
}

# Deliberate type changes: Diablo DEFINEd these as strings although their
# values are numbers or booleans.  Defaults still compare equal as text.
TYPE_CHANGES = {
    'num_iscsi_scan_tries': 'integer',
    'num_shell_tries': 'integer',
    'stub_network': 'bool',
}

# Flags documented in the admin manual's tables but not DEFINEd by Diablo
# 2011.3's code: they live in nova/legacy_flags.py with the manual's default.
MANUAL_ONLY = {
    'ec2_url': None,
    'images_path': '$state_path/images',
    'allow_project_net_traffic': True,
    'flat_network_dhcp_start': '10.0.0.2',
    'pidfile': '',
    'use_s3': True,
}

_EXPRESSION = object()
_KINDS = {'boolean': 'bool', 'bool': 'bool', 'integer': 'integer',
          'float': 'float', 'list': 'list', 'multistring': 'multistring',
          'string': 'string'}


# -- reference helpers ------------------------------------------------------
def reference_rows():
    """``[(name, kind, default_text, owner)]`` from reference/flags.md."""
    if not os.path.exists(FLAGS_MD):
        pytest.skip('reference/flags.md not found at %s' % FLAGS_MD)
    with open(FLAGS_MD, encoding='utf-8') as handle:
        text = handle.read()
    rows = re.findall(r'^\| (\w+) \| (\w+) \| `(.*)` \| (\S+) \|$', text,
                      re.M)
    assert len(rows) > 300, 'flags.md table not understood'
    return rows


def reference_flags():
    """``{name: (kind, default_text, owner)}``, one owner per name."""
    chosen = {}
    for name, kind, default, owner in reference_rows():
        if owner in SKIPPED_OWNERS:
            continue
        preferred = PREFERRED_OWNER.get(name)
        if preferred and owner != preferred:
            continue
        assert name not in chosen, 'flag %s listed twice' % name
        chosen[name] = (_KINDS[kind], default, owner)
    return chosen


def _arith(node):
    """Evaluate a product/sum of number literals (``16 * 1024 * 1024``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult,
                                                            ast.Add)):
        left, right = _arith(node.left), _arith(node.right)
        return left * right if isinstance(node.op, ast.Mult) else left + right
    raise ValueError('not arithmetic')


def literal_default(text):
    """The Python value of a default as written in flags.md.

    Returns ``_EXPRESSION`` for defaults computed at run time
    (``socket.gethostname()``, ``utils.abspath(...)``...).
    """
    text = text.strip()
    if re.match(r'^0[0-7]+$', text):          # Python 2 octal: 0644
        return int(text, 8)
    try:
        return ast.literal_eval(text)        # also joins 'a' 'b'
    except (ValueError, SyntaxError):
        pass
    try:
        return _arith(ast.parse(text, mode='eval').body)
    except (ValueError, SyntaxError):
        return _EXPRESSION


def normalize(kind, value):
    """A default in a comparable form for flags of ``kind``."""
    if value is None:
        return None
    if kind == 'bool':
        return flags.BooleanFlag('x', None, '', '').convert(value)
    if kind == 'integer':
        return int(value)
    if kind == 'float':
        return float(value)
    if kind in ('list', 'multistring'):
        if isinstance(value, str):
            value = value.split(',')
        return [str(item).strip() for item in value]
    return str(value)


@pytest.fixture(scope='module')
def all_flags():
    """The global FLAGS after every flag-defining module was imported."""
    flags.import_flag_modules()
    return flags.FLAGS


# Defaults this project changes on purpose, each with its reason.
DELIBERATE_DEFAULTS = {
    # Diablo defaulted to glance; this project ships no glance server, so
    # the image service that stores images under $state_path is the default.
    'image_service': 'nova.image.local.LocalImageService',
    # Work must survive a broker restart (at-least-once delivery): durable
    # queues and persistent casts; false restores Diablo's transient ones.
    'rabbit_durable_queues': True,
    # noVNC comes from Debian's novnc package, which installs it here
    # (Diablo expected a git checkout of a noVNC fork in /var/lib/nova).
    'vncproxy_wwwroot': '/usr/share/novnc',
}


# -- every Diablo flag exists with Diablo's default ----------------------------
def test_every_diablo_flag_exists_with_its_default(all_flags, capsys):
    missing, wrong, pending_absent = [], [], []
    for name, (kind, text, owner) in sorted(reference_flags().items()):
        if name not in all_flags:
            if name in PENDING:
                pending_absent.append(name)
            else:
                missing.append('%s (%s)' % (name, owner))
            continue
        expected = literal_default(text)
        if name in DELIBERATE_DEFAULTS:
            expected = DELIBERATE_DEFAULTS[name]
        if expected is _EXPRESSION:
            continue
        actual = all_flags.get_flag(name).default
        if normalize(kind, expected) != normalize(kind, actual):
            wrong.append('%s: Diablo %r, ours %r' % (name, expected, actual))
    with capsys.disabled():
        if pending_absent:
            print('\n[test_flags] PENDING flags not defined yet (%d): %s'
                  % (len(pending_absent), ', '.join(pending_absent)))
    assert not missing, 'flags missing: %s' % ', '.join(missing)
    assert not wrong, 'wrong defaults:\n' + '\n'.join(wrong)


def test_flag_types_match_diablo(all_flags):
    wrong = []
    for name, (kind, _text, _owner) in sorted(reference_flags().items()):
        if name not in all_flags:
            continue
        want = TYPE_CHANGES.get(name, kind)
        got = all_flags.get_flag(name).kind
        if got != want:
            wrong.append('%s: Diablo %s, ours %s' % (name, want, got))
    assert not wrong, '\n'.join(wrong)


def test_expression_defaults_are_evaluated(all_flags):
    import socket
    assert all_flags.get_flag('console_host').default == socket.gethostname()
    assert all_flags.get_flag('max_kernel_ramdisk_size').default == \
        16 * 1024 * 1024
    template = all_flags.get_flag('libvirt_xml_template').default
    assert template.endswith(os.path.join('nova', 'virt',
                                          'libvirt.xml.template'))
    assert all_flags.get_flag('logfile_mode').default == 0o644


def test_manual_only_flags_have_the_manuals_defaults(all_flags):
    for name, default in MANUAL_ONLY.items():
        assert name in all_flags, name
        assert all_flags.get_flag(name).default == default, name


def test_every_flag_in_the_manuals_tables_exists(all_flags):
    if not os.path.exists(MANUAL):
        pytest.skip('reference/admin-manual.txt not found at %s' % MANUAL)
    with open(MANUAL, encoding='utf-8') as handle:
        lines = handle.read().splitlines()
    names, in_table = set(), False
    for line in lines:
        if line.startswith('Flag\t'):
            in_table = True
            continue
        if in_table and '\t' not in line:
            in_table = bool(line.strip()) and in_table
            continue
        if in_table:
            cell = line.split('\t')[0]
            match = re.match(r'^[-\u2013_\s]*(?:\[no\])?([A-Za-z][\w-]*)',
                             cell)
            if match:
                names.add(match.group(1))
    assert len(names) > 100, 'manual tables not understood'
    # gflags' own help switches, not flags.
    names -= {'help', 'helpshort', 'helpxml'}
    missing = sorted(n for n in names
                     if all_flags._lookup(n) is None and n not in PENDING)
    assert not missing, 'manual flags missing: %s' % ', '.join(missing)


def test_modules_of_ours_win_over_legacy_flags(all_flags, capsys):
    # Other engineers take flags over from nova/legacy_flags.py while they
    # rebuild Diablo's modules; theirs wins.  The stale legacy lines are
    # listed for the owner of legacy_flags.py to delete (not a failure: the
    # takeover is correct at run time whatever the import order).
    stale = all_flags.superseded_legacy_flags()
    for name, (_diablo, ours) in stale.items():
        flag = all_flags.get_flag(name)
        assert flag.legacy_of is None and flag.module == ours, name
    if stale:
        with capsys.disabled():
            print('\n[test_flags] legacy_flags.py lines to delete (now '
                  'defined by our modules): %s'
                  % ', '.join('%s (%s)' % (name, stale[name][1])
                              for name in sorted(stale)))


def test_legacy_flags_list_the_diablo_module_in_help(all_flags):
    text = all_flags.help_text()
    assert "nova.legacy_flags (from Diablo's nova.console.xvp; ignored):" \
        in text
    assert "nova.legacy_flags (from Diablo's admin manual; ignored):" in text
    # A flag of an absent feature kept by a module of ours.
    assert "nova.volume.driver (from Diablo's RBD volumes; ignored):" in text
    assert '--libvirt_type:' in text


# -- DEFINE_* types -----------------------------------------------------------
@pytest.fixture
def fv():
    """A FlagValues of the test's own, with a few typical flags."""
    values = flags.FlagValues()
    flags.DEFINE_string('state_path', '/var/lib/nova', 'state',
                        flag_values=values)
    flags.DEFINE_string('my_ip', '10.0.0.1', 'ip', flag_values=values)
    flags.DEFINE_string('sql_connection',
                        'sqlite:///$state_path/nova.sqlite', 'sql',
                        flag_values=values)
    flags.DEFINE_string('ec2_host', '${my_ip}', 'ec2', flag_values=values)
    flags.DEFINE_integer('report_interval', 10, 'seconds',
                         flag_values=values)
    flags.DEFINE_float('poll', 0.5, 'seconds', flag_values=values)
    flags.DEFINE_bool('verbose', False, 'debug', flag_values=values)
    flags.DEFINE_bool('use_ipv6', True, 'v6', flag_values=values)
    flags.DEFINE_list('enabled_apis', ['ec2', 'osapi'], 'apis',
                      flag_values=values)
    flags.DEFINE_multistring('driver', ['a'], 'drivers', flag_values=values)
    flags.DEFINE_integer('rabbit_retry_interval', 1, 'retry',
                         flag_values=values)
    flags.DEFINE_image_id('vpn_image_id', 0, 'image', flag_values=values)
    return values


def test_defaults_and_types(fv):
    assert fv.report_interval == 10
    assert fv.poll == 0.5
    assert fv.verbose is False
    assert fv.enabled_apis == ['ec2', 'osapi']
    assert fv.driver == ['a']
    assert fv.get_flag('report_interval').kind == 'integer'
    assert fv.get_flag('enabled_apis').kind == 'list'


def test_type_conversion(fv):
    fv(['prog', '--report_interval=0x10', '--poll=2', '--verbose=yes',
        '--use_ipv6=off', '--enabled_apis=osapi, ec2 ,', '--driver=x',
        '--driver=y', '--vpn_image_id=ami-0000002a'])
    assert fv.report_interval == 16
    assert fv.poll == 2.0
    assert fv.verbose is True
    assert fv.use_ipv6 is False
    assert fv.enabled_apis == ['osapi', 'ec2']
    assert fv.driver == ['x', 'y']
    assert fv.vpn_image_id == 42


def test_set_from_python_converts_text(fv):
    fv.set('report_interval', '5')
    assert fv.report_interval == 5
    fv.reset('report_interval')
    assert fv.report_interval == 10


# -- command line ---------------------------------------------------------
def test_equals_and_separate_value(fv):
    rest = fv(['prog', '--report_interval=3', 'pos', '--my_ip', '1.2.3.4'])
    assert fv.report_interval == 3
    assert fv.my_ip == '1.2.3.4'
    assert rest == ['prog', 'pos']
    assert fv.source_of('my_ip') == 'command line'


def test_boolean_forms(fv):
    fv(['prog', '--verbose', '--nouse_ipv6'])
    assert fv.verbose is True
    assert fv.use_ipv6 is False
    fv(['prog', '--noverbose', '--use_ipv6'])
    assert fv.verbose is False
    assert fv.use_ipv6 is True


def test_single_dash_and_dashed_names(fv):
    fv(['prog', '-report_interval=4', '--rabbit-retry-interval=9'])
    assert fv.report_interval == 4
    assert fv.rabbit_retry_interval == 9


def test_double_dash_ends_flags(fv):
    rest = fv(['prog', '--', '--verbose'])
    assert rest == ['prog', '--verbose']
    assert fv.verbose is False


def test_missing_value_is_an_error(fv):
    with pytest.raises(flags.FlagValueError, match='--report_interval'):
        fv(['prog', '--report_interval'])


# -- flagfiles ------------------------------------------------------------
def test_nested_flagfiles_comments_and_later_values_win(fv, tmp_path):
    conf_dir = tmp_path / 'etc'
    (conf_dir / 'sub').mkdir(parents=True)
    (conf_dir / 'sub' / 'extra.conf').write_text(
        '# included\n--report_interval=20\n--my_ip=10.1.1.1\n')
    (conf_dir / 'nova.conf').write_text(
        '# top comment\n'
        '\n'
        '   \n'
        '--report_interval=5\n'
        '--flagfile=sub/extra.conf\n'        # relative to this file
        '  --verbose\n'
        '--state_path = /srv/nova\n'        # blanks around "=" are fine
        '--ec2_host=http://a b\n')          # inner blanks are kept
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        fv(['prog', '--flagfile=etc/nova.conf', '--my_ip=10.2.2.2'])
    finally:
        os.chdir(cwd)
    assert fv.report_interval == 20          # the included file came later
    assert fv.my_ip == '10.2.2.2'            # the command line came later
    assert fv.verbose is True
    assert fv.state_path == '/srv/nova'
    assert fv.ec2_host == 'http://a b'
    assert fv.source_of('report_interval') == '%s:2' % (
        conf_dir / 'sub' / 'extra.conf')


def test_templates_resolved_at_read_time(fv, tmp_path):
    assert fv.sql_connection == 'sqlite:////var/lib/nova/nova.sqlite'
    assert fv.ec2_host == '10.0.0.1'
    conf = tmp_path / 'nova.conf'
    conf.write_text('--sql_connection=sqlite:///${state_path}/x.db\n'
                    '--state_path=/srv/nova\n'
                    '--my_ip=192.168.1.5\n')
    fv(['prog', '--flagfile=%s' % conf])
    # state_path came after sql_connection, yet the template follows it.
    assert fv.sql_connection == 'sqlite:////srv/nova/x.db'
    assert fv.ec2_host == '192.168.1.5'
    assert fv.raw('ec2_host') == '${my_ip}'
    fv.set('state_path', '/other')
    assert fv.sql_connection == 'sqlite:////other/x.db'


def test_unknown_template_and_self_reference_are_left_alone(fv):
    fv.set('my_ip', '$nova_db_host:$my_ip')
    assert fv.my_ip == '$nova_db_host:$my_ip'


def test_malformed_value_names_flag_file_and_line(fv, tmp_path):
    conf = tmp_path / 'nova.conf'
    conf.write_text('# comment\n--verbose\n--report_interval=abc\n')
    with pytest.raises(flags.FlagValueError) as info:
        fv(['prog', '--flagfile=%s' % conf])
    message = str(info.value)
    assert '--report_interval' in message
    assert '%s:3' % conf in message
    assert "'abc'" in message
    assert '\n' not in message


def test_malformed_flagfile_line(fv, tmp_path):
    conf = tmp_path / 'nova.conf'
    conf.write_text('--verbose\nsql_connection=mysql://x\n')
    with pytest.raises(flags.FlagFileError) as info:
        fv(['prog', '--flagfile=%s' % conf])
    assert '%s:2' % conf in str(info.value)
    assert 'malformed' in str(info.value)


def test_a_name_with_blanks_is_malformed(fv, tmp_path):
    conf = tmp_path / 'nova.conf'
    conf.write_text('--use_deprecated_auth flag\n')
    with pytest.raises(flags.FlagFileError, match='malformed'):
        fv(['prog', '--flagfile=%s' % conf])


def test_missing_flagfile(fv, tmp_path):
    missing = tmp_path / 'nope.conf'
    with pytest.raises(flags.FlagFileError) as info:
        fv(['prog', '--flagfile=%s' % missing])
    assert str(info.value) == (
        'cannot read flagfile %s: No such file or directory' % missing)


def test_missing_nested_flagfile_names_the_including_line(fv, tmp_path):
    conf = tmp_path / 'nova.conf'
    conf.write_text('--flagfile=nova-compute.conf\n')
    with pytest.raises(flags.FlagFileError) as info:
        fv(['prog', '--flagfile=%s' % conf])
    assert 'nova-compute.conf' in str(info.value)
    assert 'included from %s:1' % conf in str(info.value)


def test_flagfile_including_itself(fv, tmp_path):
    conf = tmp_path / 'nova.conf'
    conf.write_text('--flagfile=nova.conf\n')
    with pytest.raises(flags.FlagFileError, match='includes itself'):
        fv(['prog', '--flagfile=%s' % conf])


# -- unknown flags ---------------------------------------------------------
def test_unknown_flag_warned_once_and_ignored(fv, tmp_path, caplog):
    conf = tmp_path / 'nova.conf'
    conf.write_text('--daemonize=1\n--verbose\n--daemonize=0\n'
                    '--FAKE_subdomain=ec2\n')
    with caplog.at_level(logging.WARNING, logger='nova.flags'):
        fv(['prog', '--flagfile=%s' % conf, '--daemonize'])
    warnings = [r.getMessage() for r in caplog.records
                if r.name == 'nova.flags']
    assert len([w for w in warnings if '--daemonize' in w]) == 1
    assert len([w for w in warnings if '--FAKE_subdomain' in w]) == 1
    assert all('\n' not in w for w in warnings)
    assert '%s:1' % conf in warnings[0]
    assert 'daemonize' not in fv
    assert fv.verbose is True
    assert fv.unknown_flags() == ['FAKE_subdomain', 'daemonize']


def test_unknown_flag_defined_later_takes_its_value(fv):
    fv(['prog', '--late_flag=7'])
    flags.DEFINE_integer('late_flag', 1, 'late', flag_values=fv)
    assert fv.late_flag == 7


def test_reset_forgets_unknown_names(fv, caplog):
    with caplog.at_level(logging.WARNING, logger='nova.flags'):
        fv(['prog', '--ghost=1'])
        fv.reset()
        fv(['prog', '--ghost=1'])
    assert len([r for r in caplog.records if 'ghost' in r.getMessage()]) == 2


# -- definitions -------------------------------------------------------------
def test_duplicate_definition_is_an_error(fv):
    with pytest.raises(flags.DuplicateFlagError, match='--verbose'):
        fv.define(flags.BooleanFlag('verbose', True, '', 'elsewhere'))


def test_module_of_ours_takes_a_legacy_flag_over(fv):
    with flags.legacy_module('nova.network.manager'):
        flags.DEFINE_string('fixed_range', '10.0.0.0/8', 'legacy',
                            flag_values=fv)
        flags.DEFINE_string('network_size', '256', 'legacy',
                            flag_values=fv)
    fv(['prog', '--network_size=64'])
    flag = fv.define(flags.IntegerFlag('network_size', 256, 'ours',
                                       'nova.network.manager'))
    assert fv.get_flag('network_size') is flag
    assert fv.network_size == 64
    # Our module first, then the legacy line: ours stays.
    fv.define(flags.StringFlag('vlan_interface', None, 'ours',
                               'nova.network.manager'))
    with flags.legacy_module('nova.network.manager'):
        flags.DEFINE_string('vlan_interface', 'eth0', 'legacy',
                            flag_values=fv)
    assert fv.vlan_interface is None
    assert sorted(fv.superseded_legacy_flags()) == ['network_size',
                                                    'vlan_interface']


# -- help ----------------------------------------------------------------------
def test_help_groups_flags_by_module_with_defaults(fv):
    flags.DEFINE_string('elsewhere', 'x', 'another module',
                        flag_values=fv)
    fv.define(flags.IntegerFlag('other', 3, 'help of other', 'nova.other'))
    text = fv.help_text()
    own = fv.get_flag('report_interval').module
    assert '\n%s:\n' % own in text
    assert '\nnova.other:\n  --other: help of other\n' \
           "    (default: '3', integer)" in text
    assert text.index('--enabled_apis') < text.index('--verbose')


def test_help_of_every_daemon(all_flags):
    text = all_flags.help_text()
    assert '\nnova.flags:\n' in text
    assert '--sql_connection: connection string for the SQL database' in text
    assert "(default: 'sqlite:///$state_path/$sqlite_db', string)" in text


# -- nova.utils.cmdline.parse_args: one line, status 2 ----------------------------
@pytest.fixture
def daemon_flags(fv, monkeypatch):
    """parse_args working on the test's FlagValues, no default flagfile."""
    monkeypatch.setattr(common, 'FLAGS', fv)
    monkeypatch.setattr(common, 'DEFAULT_FLAGFILES', ())
    return fv


def _exit_line(capsys, argv):
    with pytest.raises(SystemExit) as info:
        common.parse_args(argv, 'nova-test')
    out, err = capsys.readouterr()
    assert info.value.code == 2
    assert err.endswith('\n') and err.count('\n') == 1, err
    assert 'Traceback' not in err
    return err


def test_parse_args_bad_value(daemon_flags, tmp_path, capsys):
    conf = tmp_path / 'nova.conf'
    conf.write_text('--report_interval=abc\n')
    err = _exit_line(capsys, ['nova-test', '--flagfile=%s' % conf])
    assert err.startswith('nova-test: bad value for --report_interval')
    assert '%s:1' % conf in err


def test_parse_args_missing_flagfile(daemon_flags, tmp_path, capsys):
    err = _exit_line(capsys, ['nova-test',
                              '--flagfile=%s' % (tmp_path / 'x.conf')])
    assert 'cannot read flagfile' in err and 'x.conf' in err


def test_parse_args_malformed_line(daemon_flags, tmp_path, capsys):
    conf = tmp_path / 'nova.conf'
    conf.write_text('--verbose\nnot a flag\n')
    err = _exit_line(capsys, ['nova-test', '--flagfile=%s' % conf])
    assert 'malformed' in err and '%s:2' % conf in err


def test_parse_args_bad_command_line_value(daemon_flags, capsys):
    err = _exit_line(capsys, ['nova-test', '--verbose=maybe'])
    assert '--verbose' in err and 'command line' in err


def test_parse_args_help(daemon_flags, capsys):
    with pytest.raises(SystemExit) as info:
        common.parse_args(['nova-test', '--help'], 'nova-test')
    out, _err = capsys.readouterr()
    assert info.value.code == 0
    assert out.startswith('Usage: nova-test')
    assert '--report_interval: seconds' in out


def test_parse_args_unwritable_logdir(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(common, 'DEFAULT_FLAGFILES', ())
    blocker = tmp_path / 'file'
    blocker.write_text('')
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        err = _exit_line(capsys, ['nova-test',
                                  '--logdir=%s' % (blocker / 'sub')])
    finally:
        flags.FLAGS.reset('logdir')
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    assert err.startswith('nova-test: cannot open the log')
    assert str(blocker) in err


def test_flagfile_slash_comments_and_home_expansion(tmp_path, monkeypatch):
    """Diablo's gflags skipped ``//`` lines and expanded ``~`` in paths."""
    monkeypatch.setenv('HOME', str(tmp_path))
    (tmp_path / 'nova.conf').write_text('// a comment\n--verbose\n')
    values = flags.FlagValues()
    values.define(flags.BooleanFlag('verbose', False, '', 'test'))
    values.read_flagfile('~/nova.conf')
    assert values.verbose is True
