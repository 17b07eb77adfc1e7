"""``nova-manage network quantum_list`` on a cloud without Quantum: a note
that QuantumManager is not available, then Diablo's columns of nova's own
networks."""

from nova import db
from tests.unit.manage.test_network_manage import ctxt, run  # noqa: F401

NOTE = ('QuantumManager is not available '
        '(--network_manager=nova.network.manager.FlatManager): these are '
        "nova's own networks.\n")
HEADER = '%-32s\t%-10s\t%-10s\t%s , %s\n' % ('uuid', 'project', 'priority',
                                             'cidr_v4', 'cidr_v6')


def test_quantum_list_without_networks(ctxt, capsys):  # noqa: F811
    assert run(capsys, 'network', 'quantum_list') == (0, HEADER, NOTE)


def test_quantum_list_shows_diablo_columns(ctxt, capsys):  # noqa: F811
    assert run(capsys, 'network', 'create', '--label=one',
               '--fixed_range_v4=10.1.0.0/24', '--num_networks=1',
               '--network_size=256', '--bridge=br100',
               '--uuid=11111111-2222-3333-4444-555555555555',
               '--project_id=proj', '--priority=3',
               '--fixed_range_v6=fd00:1::/64')[0] == 0
    assert run(capsys, 'network', 'create', '--label=two',
               '--fixed_range_v4=10.2.0.0/24', '--num_networks=1',
               '--network_size=256', '--bridge=br101')[0] == 0
    code, out, err = run(capsys, 'network', 'quantum_list')
    assert (code, err) == (0, NOTE)
    lines = out.splitlines()
    assert lines[0] + '\n' == HEADER
    assert lines[1] == '%-32s\t%-10s\t%-10s\t%s , %s' % (
        '11111111-2222-3333-4444-555555555555', 'proj', '3',
        '10.1.0.0/24', 'fd00:1::/64')
    [second] = [n for n in db.network_get_all(ctxt) if n['label'] == 'two']
    assert lines[2] == '%-32s\t%-10s\t%-10s\t%s , %s' % (
        second['uuid'], 'None', 'None', '10.2.0.0/24', 'None')
    assert len(lines) == 3
    # The same networks as ``network list``.
    listed = run(capsys, 'network', 'list')[1].splitlines()[1:]
    assert [line.split('\t')[1].strip() for line in listed] == [
        '10.1.0.0/24', '10.2.0.0/24']
