"""``nova-manage agent`` create/list/modify/delete over ``agent_builds``,
with Diablo's positional arguments and list format."""

import pytest

from nova import context
from nova import db
from nova import exception
from nova import manage


def run(capsys, *words):
    code = manage.main(['nova-manage'] + list(words))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ctxt(tmp_path, set_flags, capsys):
    """A database made by ``nova-manage db sync``."""
    from nova.db.sqlalchemy import session
    set_flags(state_path=str(tmp_path),
              sql_connection='sqlite:///%s/nova.sqlite' % tmp_path)
    session.reset()
    assert run(capsys, 'db', 'sync')[0] == 0
    yield context.get_admin_context()
    session.reset()


def _rows(ctxt):
    return [(b['hypervisor'], b['os'], b['architecture'], b['version'],
             b['url'], b['md5hash']) for b in db.agent_build_get_all(ctxt)]


def test_create_defaults_to_xen_and_list_prints_diablo_format(ctxt, capsys):
    assert run(capsys, 'agent', 'create', 'linux', 'x86', '1.0.1',
               'http://example.com/agent-1.0.1.tgz',
               'd41d8cd98f00b204e9800998ecf8427e') == (0, '', '')
    assert run(capsys, 'agent', 'create', 'windows', 'x86_64', '2.0',
               'http://example.com/agent.msi', 'abc', 'kvm')[0] == 0
    assert _rows(ctxt) == [
        ('xen', 'linux', 'x86', '1.0.1',
         'http://example.com/agent-1.0.1.tgz',
         'd41d8cd98f00b204e9800998ecf8427e'),
        ('kvm', 'windows', 'x86_64', '2.0', 'http://example.com/agent.msi',
         'abc')]
    code, out, err = run(capsys, 'agent', 'list')
    assert (code, err) == (0, '')
    dashes = '%-10s  %-8s  %12s  %s' % ('-' * 10, '-' * 8, '-' * 12,
                                        '-' * 32)
    assert out == (
        'Hypervisor: kvm\n' + dashes + '\n'
        'windows     x86_64             2.0  abc\n'
        '    http://example.com/agent.msi\n'
        '\n'
        'Hypervisor: xen\n' + dashes + '\n'
        'linux       x86              1.0.1  '
        'd41d8cd98f00b204e9800998ecf8427e\n'
        '    http://example.com/agent-1.0.1.tgz\n'
        '\n')


def test_list_of_one_hypervisor_and_of_none(ctxt, capsys):
    assert run(capsys, 'agent', 'list') == (0, '', '')
    run(capsys, 'agent', 'create', 'linux', 'x86', '1', 'u1', 'm1')
    run(capsys, 'agent', 'create', 'linux', 'x86', '2', 'u2', 'm2', 'kvm')
    code, out, err = run(capsys, 'agent', 'list', 'kvm')
    assert code == 0
    assert out.startswith('Hypervisor: kvm\n')
    assert 'Hypervisor: xen' not in out and '    u2\n' in out
    assert run(capsys, 'agent', 'list', 'hyperv') == (0, '', '')


def test_modify_changes_version_url_and_hash(ctxt, capsys):
    run(capsys, 'agent', 'create', 'linux', 'x86', '1.0', 'old-url', 'old')
    run(capsys, 'agent', 'create', 'linux', 'x86', '1.0', 'kvm-url', 'k',
        'kvm')
    assert run(capsys, 'agent', 'modify', 'linux', 'x86', '1.1', 'new-url',
               'new') == (0, '', '')
    assert _rows(ctxt) == [
        ('xen', 'linux', 'x86', '1.1', 'new-url', 'new'),
        ('kvm', 'linux', 'x86', '1.0', 'kvm-url', 'k')]


def test_delete_soft_deletes_the_triple(ctxt, capsys):
    run(capsys, 'agent', 'create', 'linux', 'x86', '1.0', 'u', 'm')
    run(capsys, 'agent', 'create', 'linux', 'x86', '1.0', 'u', 'm', 'kvm')
    assert run(capsys, 'agent', 'delete', 'linux', 'x86', 'kvm') == (
        0, '', '')
    assert [r[0] for r in _rows(ctxt)] == ['xen']
    assert run(capsys, 'agent', 'delete', 'linux', 'x86') == (0, '', '')
    assert _rows(ctxt) == []
    deleted = context.get_admin_context(read_deleted='yes')
    assert len(db.agent_build_get_all(deleted)) == 2


def test_unknown_build_is_a_one_line_error(ctxt, capsys):
    for words in (('delete', 'linux', 'arm'),
                  ('modify', 'linux', 'arm', '1', 'u', 'm')):
        code, out, err = run(capsys, 'agent', *words)
        assert code == 1 and out == ''
        assert err == ('ERROR: No agent build for hypervisor xen, os linux, '
                       'architecture arm.\n')


def test_missing_arguments(ctxt, capsys):
    code, out, err = run(capsys, 'agent', 'create', 'linux', 'x86')
    assert code != 0
    assert 'version' in out + err
    assert _rows(ctxt) == []


def test_agent_is_a_category(ctxt, capsys):
    code, out, err = run(capsys, 'agent')
    assert code == 2
    for action in ('create', 'delete', 'list', 'modify'):
        assert '\t%s\n' % action in out


def test_db_functions_need_an_admin(ctxt):
    user = context.RequestContext('u', 'p')
    with pytest.raises(exception.AdminRequired):
        db.agent_build_get_all(user)
    with pytest.raises(exception.AdminRequired):
        db.agent_build_create(user, {'os': 'linux'})
    assert db.agent_build_get_by_triple(ctxt, 'xen', 'linux', 'x86') is None
