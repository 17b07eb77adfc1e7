"""kombu is loaded with JSON only: YAML and msgpack stay out of the daemons
(and remain importable for any other code)."""

import subprocess
import sys

CODE = r'''
import sys
from nova.rpc import impl_kombu  # noqa: F401
from kombu import serialization
from kombu.exceptions import ContentDisallowed, SerializerNotInstalled
print('yaml' in sys.modules, 'msgpack' in sys.modules)
body = serialization.dumps({'method': 'echo'}, serializer='json')
print(serialization.loads(body[2], body[0], body[1]) == {'method': 'echo'})
try:
    serialization.loads(b'a: 1', 'application/x-yaml', 'utf-8',
                        accept=['application/x-yaml'])
    print('yaml decoded')
except (SerializerNotInstalled, ContentDisallowed):
    print('yaml refused')
import yaml  # noqa: F401 - importable again
print('yaml' in sys.modules)
'''


def test_kombu_without_yaml_or_msgpack():
    proc = subprocess.run([sys.executable, '-c', CODE], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ['False', 'False', 'True', 'yaml',
                                   'refused', 'True']
