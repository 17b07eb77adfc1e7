"""``nova-manage service list`` prints Diablo's rows (admin manual, ch. 8)."""

import datetime

from nova import context
from nova import db
from nova import manage


def test_rows_are_host_binary_status_state_updated(sqlite_db, capsys):
    ctxt = context.get_admin_context()
    now = datetime.datetime.utcnow().replace(microsecond=0)
    old = now - datetime.timedelta(hours=1)
    for host, binary, seen, disabled in (
            ('HostA', 'nova-scheduler', now, False),
            ('HostB', 'nova-compute', now, True),
            ('HostC', 'nova-compute', old, False)):
        svc = db.service_create(ctxt, {'host': host, 'binary': binary,
                                       'topic': binary[5:],
                                       'disabled': disabled,
                                       'report_count': 1})
        db.service_update(ctxt, svc['id'], {'updated_at': seen})
    assert manage.main(['nova-manage', 'service', 'list']) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split() for line in lines] == [
        ['HostA', 'nova-scheduler', 'enabled', ':-)'] + str(now).split(),
        ['HostB', 'nova-compute', 'disabled', ':-)'] + str(now).split(),
        ['HostC', 'nova-compute', 'enabled', 'XXX'] + str(old).split(),
    ]
    assert lines[0].startswith('HostA      nova-scheduler enabled  :-) ')
