"""Fixtures for the rpc unit tests: kombu's in-memory transport.

These tests run without eventlet monkey-patching: nova.rpc drives its
consumers cooperatively through nova.utils.concurrency either way.  Set
NOVA_RPC_TEST_MONKEY_PATCH=1 to run them monkey-patched, as the daemons run.
"""

import os
import uuid

import pytest

from nova import flags
from nova import rpc
from nova.utils import concurrency

FLAGS = flags.FLAGS

if os.environ.get('NOVA_RPC_TEST_MONKEY_PATCH') == '1':
    concurrency.monkey_patch()


@pytest.fixture
def fake_rabbit():
    """In-memory transport for the test; everything closed afterwards."""
    FLAGS.fake_rabbit = True
    FLAGS.rpc_response_timeout = 10
    connections = []
    yield connections
    for conn in connections:
        conn.close()
    rpc.cleanup()
    for name in ('fake_rabbit', 'rpc_response_timeout'):
        FLAGS.reset(name)


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
