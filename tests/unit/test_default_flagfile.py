"""Which flagfile a command reads when given none: $NOVA_FLAGFILE (what
run_cloud.sh's novarc exports), then Diablo's ./nova.conf and
/etc/nova/nova.conf; and where state goes from a checkout."""

import os

from nova import flags
from nova.utils import cmdline


def test_nova_flagfile_comes_first(tmp_path, monkeypatch):
    conf = tmp_path / 'cloud.conf'
    conf.write_text('--verbose\n')
    monkeypatch.setenv('NOVA_FLAGFILE', str(conf))
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'nova.conf').write_text('--verbose\n')
    assert cmdline.with_default_flagfile(['nova-manage', 'service']) == [
        'nova-manage', '--flagfile=%s' % conf, 'service']


def test_then_diablo_places(tmp_path, monkeypatch):
    monkeypatch.delenv('NOVA_FLAGFILE', raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'nova.conf').write_text('--verbose\n')
    assert cmdline.default_flagfiles() == ('./nova.conf',
                                           '/etc/nova/nova.conf')
    assert cmdline.with_default_flagfile(['nova-api'])[1] == \
        '--flagfile=%s' % (tmp_path / 'nova.conf')


def test_a_given_flagfile_wins(monkeypatch):
    monkeypatch.setenv('NOVA_FLAGFILE', '/nonexistent')
    argv = ['nova-api', '--flagfile=/x.conf']
    assert cmdline.with_default_flagfile(argv) == argv


def test_checkout_state_is_not_the_checkout_itself():
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), '..',
                                        '..'))
    assert flags._default_state_path() == os.path.join(repo, '.nova-state')
