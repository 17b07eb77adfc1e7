"""A daemon knows every flag without keeping every flag module imported.

:func:`nova.utils.flaglearn.learn_flag_definitions` has a forked child import the
modules that define flags and send their definitions back.  Each check runs
in a fresh interpreter, as a daemon starts, so the test run's own imports
do not hide what the daemon would load.
"""

import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

_DEFINITIONS = r'''
import json, sys
sys.path.insert(0, %(root)r)
from nova import flags
how = %(how)r
if how == 'learn':
    from nova.utils import flaglearn
    learned = flaglearn.learn_flag_definitions()
else:
    learned = False
    flags.import_flag_modules()
F = flags.FLAGS
print(json.dumps({
    'learned': learned,
    'flags': {name: [type(F.get_flag(name)).__name__,
                     F.get_flag(name).module,
                     F.get_flag(name).render(F.get_flag(name).default),
                     F.get_flag(name).help, F.get_flag(name).legacy_of]
              for name in F},
    'superseded': sorted(F.superseded_legacy_flags()),
    'modules': sorted(sys.modules),
}))
'''


def _run(code):
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_learned_definitions_equal_imported_ones():
    learned = _run(_DEFINITIONS % {'root': ROOT, 'how': 'learn'})
    imported = _run(_DEFINITIONS % {'root': ROOT, 'how': 'import'})
    assert learned['learned'] is True
    assert imported['learned'] is False
    assert len(learned['flags']) > 300
    # Same names, types, owning modules, defaults, help and legacy marks.
    assert learned['flags'] == imported['flags']
    assert learned['superseded'] == imported['superseded']
    # ...but none of the API's, the dashboard's or the libvirt driver's
    # modules (nor WebOb, Jinja2) stayed in the learning process.
    for module in ('webob', 'jinja2', 'routes', 'nova.api.ec2',
                   'nova.api.openstack', 'nova.dashboard.app',
                   'nova.virt.libvirt.connection', 'nova.compute.manager'):
        assert module in imported['modules']
        assert module not in learned['modules'], module


_LATE_IMPORT = r'''
import json, sys
sys.path.insert(0, %(root)r)
from nova import flags
from nova.utils import flaglearn
F = flags.FLAGS
assert flaglearn.learn_flag_definitions()
before = F.get_flag('ec2_listen_port')
rest = F(['prog', '--flagfile=%(flagfile)s', '--ec2_workers=3', 'word'])
assert 'nova.api.ec2' not in sys.modules
import nova.api.ec2  # noqa - its DEFINEs find their flags already there
import nova.service  # noqa
import nova.cmd.all  # noqa
print(json.dumps({
    'rest': rest, 'same_flag': F.get_flag('ec2_listen_port') is before,
    'port': F.ec2_listen_port, 'workers': F.ec2_workers,
    'source': F.source_of('ec2_listen_port'),
    'unknown': F.unknown_flags(),
    'learned_again': flaglearn.learn_flag_definitions(),
}))
'''


def test_values_parsed_before_the_owning_module_is_imported(tmp_path):
    flagfile = tmp_path / 'nova.conf'
    flagfile.write_text('--ec2_listen_port=8999\n--no_such_flag=1\n')
    got = _run(_LATE_IMPORT % {'root': ROOT, 'flagfile': str(flagfile)})
    assert got['rest'] == ['prog', 'word']
    assert got['same_flag'] is True
    assert got['port'] == 8999
    assert got['workers'] == 3
    assert got['source'].startswith(str(flagfile))
    assert got['unknown'] == ['no_such_flag']
    assert got['learned_again'] is True


def test_a_daemon_start_learns_instead_of_importing(tmp_path):
    # nova.utils.cmdline.parse_args, the start of every daemon, learns.
    code = (
        'import sys; sys.path.insert(0, %r)\n'
        'from nova.utils import cmdline\n'
        'cmdline.parse_args(["nova-test", "--logdir=%s"], "nova-test")\n'
        'from nova import flags\n'
        'print(bool(flags._learned_flag_modules), "webob" in sys.modules,'
        ' flags.FLAGS.get_flag("dashboard_listen_port").module)\n'
        % (ROOT, tmp_path))
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, cwd=str(tmp_path), timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ['True', 'False', 'nova.dashboard.app']
