"""Fixtures for the rpc unit tests: the embedded transports of --fake_rabbit
(kombu's in-memory one, and its file-system one as run_cloud.sh uses it).

These tests run without eventlet monkey-patching: nova.rpc drives its
consumers cooperatively through nova.utils.concurrency either way.  Set
NOVA_RPC_TEST_MONKEY_PATCH=1 to run them monkey-patched, as the daemons run.
"""

import os
import uuid

import pytest

from nova import flags
from nova import rpc
from nova.rpc import embedded  # noqa: F401 - defines its flags
from nova.utils import concurrency

FLAGS = flags.FLAGS

if os.environ.get('NOVA_RPC_TEST_MONKEY_PATCH') == '1':
    concurrency.monkey_patch()


@pytest.fixture(params=['memory', 'filesystem'])
def fake_rabbit(request, tmp_path, set_flags):
    """An embedded transport for the test; everything closed afterwards."""
    set_flags(fake_rabbit=True, fake_rabbit_transport=request.param,
              fake_rabbit_path=str(tmp_path / 'rpc'),
              rpc_response_timeout=10)
    connections = []
    yield connections
    for conn in connections:
        conn.close()
    rpc.cleanup()


@pytest.fixture
def topic():
    """A topic no other test uses."""
    return 'test_%s' % uuid.uuid4().hex[:12]


def _wait_for(predicate, timeout=5.0):
    waited = 0.0
    while not predicate():
        if waited >= timeout:
            return False
        concurrency.sleep(0.01)
        waited += 0.01
    return True


@pytest.fixture
def wait_for():
    """``wait_for(predicate, timeout)``: yield to green threads until true."""
    return _wait_for
