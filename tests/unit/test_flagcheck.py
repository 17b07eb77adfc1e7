"""Start-up checks: flags of absent features warn, bad values refuse."""

import logging

import pytest

from nova import flags
from nova.utils import cmdline
from nova.utils import flagcheck


@pytest.fixture
def fv():
    """A FlagValues of the test's own with a driver, a choice, legacy flags."""
    values = flags.FlagValues()
    flags.DEFINE_string('auth_driver', 'nova.auth.dbdriver.DbDriver', 'auth',
                        flag_values=values, importable=True)
    flags.DEFINE_string('network_driver', 'nova.network.linux_net', 'net',
                        flag_values=values, importable=True)
    flags.DEFINE_string('connection_type', 'libvirt', 'virt',
                        flag_values=values, choices=('fake', 'libvirt'))
    flags.DEFINE_bool('verbose', False, 'verbose', flag_values=values)
    with flags.legacy_module('nova.volume.driver'):
        flags.DEFINE_string('rbd_pool', 'rbd', 'pool', flag_values=values)
    with flags.legacy_module('nova.api.openstack'):
        flags.DEFINE_bool('allow_admin_api', False, 'admin',
                          flag_values=values)
    return values


def test_defaults_pass_and_warn_nothing(fv):
    fv(['prog'])
    assert flagcheck.problems(fv) == []
    assert flagcheck.ignored_warning(fv) is None


def test_unknown_driver_class_is_refused_naming_flag_value_and_source(
        fv, tmp_path):
    conf = tmp_path / 'nova.conf'
    conf.write_text('--verbose\n'
                    '--auth_driver=nova.auth.nosuchdriver.NoDriver\n')
    fv(['prog', '--flagfile=%s' % conf])
    [line] = flagcheck.problems(fv)
    assert line == ('cannot honour --auth_driver=nova.auth.nosuchdriver.'
                    'NoDriver (%s:2): no module named nova.auth.nosuchdriver'
                    % conf)
    with pytest.raises(flags.FlagValueError) as info:
        flagcheck.check(fv)
    assert 'NoDriver' in str(info.value)


def test_missing_class_of_an_existing_module_is_refused(fv):
    fv(['prog', '--auth_driver=nova.auth.dbdriver.NoSuchDriver'])
    [line] = flagcheck.problems(fv)
    assert line.endswith('module nova.auth.dbdriver has no NoSuchDriver')


def test_existing_module_and_class_pass(fv):
    fv(['prog', '--auth_driver=nova.auth.dbdriver.DbDriver',
        '--network_driver=nova.network.linux_net'])
    assert flagcheck.problems(fv) == []


def test_word_outside_choices_is_refused(fv):
    fv(['prog', '--connection_type=xenapi'])
    [line] = flagcheck.problems(fv)
    assert line == ('cannot honour --connection_type=xenapi (command line): '
                    'this project supports only fake, libvirt')


def test_every_bad_value_is_named_in_one_line(fv):
    fv(['prog', '--connection_type=hyperv', '--auth_driver=x.y.Z'])
    with pytest.raises(flags.FlagValueError) as info:
        flagcheck.check(fv)
    text = str(info.value)
    assert '\n' not in text
    assert '--connection_type=hyperv' in text and '--auth_driver=x.y.Z' in text


def test_flags_of_absent_features_give_one_warning_line(fv, caplog):
    fv(['prog', '--rbd_pool=fast', '--allow_admin_api'])
    assert flagcheck.ignored_flags(fv) == [
        ('allow_admin_api', 'nova.api.openstack'),
        ('rbd_pool', 'nova.volume.driver')]
    with caplog.at_level(logging.WARNING, logger='nova.flags'):
        line = flagcheck.warn_ignored(fv)
    assert [r.getMessage() for r in caplog.records] == [line]
    assert line == ('ignoring 2 flag(s) of Diablo features this project '
                    'does not have: --allow_admin_api (nova.api.openstack), '
                    '--rbd_pool (nova.volume.driver)')


def test_unset_legacy_flags_warn_nothing(fv, caplog):
    fv(['prog', '--verbose'])
    with caplog.at_level(logging.WARNING, logger='nova.flags'):
        assert flagcheck.warn_ignored(fv) is None
    assert caplog.records == []


def test_parse_args_refuses_with_one_line_and_status_2(capsys, monkeypatch):
    monkeypatch.delenv('NOVA_FLAGFILE', raising=False)
    monkeypatch.chdir('/')
    try:
        with pytest.raises(SystemExit) as info:
            cmdline.parse_args(['nova-test', '--connection_type=xenapi'])
    finally:
        flags.FLAGS.reset('connection_type')
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err == ('nova-test: cannot honour --connection_type=xenapi '
                   '(command line): this project supports only fake, '
                   'libvirt\n')


def test_driver_flags_of_the_project_are_checked():
    flags.import_flag_modules()
    importable = {name for name in flags.FLAGS
                  if flags.FLAGS.get_flag(name).importable}
    assert {'auth_driver', 'network_manager', 'scheduler_driver',
            'volume_driver', 'firewall_driver', 'image_service',
            'compute_driver', 'libvirt_vif_driver', 'rpc_backend',
            'network_driver', 'linuxnet_interface_driver'} <= importable
    assert flags.FLAGS.get_flag('connection_type').choices is not None


def test_defaults_of_checked_flags_are_honoured():
    # Our own defaults must pass the checks an operator's values get.
    flags.import_flag_modules()
    for name in flags.FLAGS:
        flag = flags.FLAGS.get_flag(name)
        if flag.choices is None and not flag.importable:
            continue
        assert flagcheck.value_problem(flag, flag.default) is None, name


def test_connection_type_choices_are_the_loadable_drivers():
    from nova.virt import connection
    flags.import_flag_modules()
    assert set(flags.FLAGS.get_flag('connection_type').choices) == \
        set(connection.DRIVERS)
