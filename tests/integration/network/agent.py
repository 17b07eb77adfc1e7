"""A driver host for namespace tests: run with ``ip netns exec NS python
agent.py --flagfile=F``.

It builds the network manager (``--network_manager``) and, on request, a
compute manager (fake hypervisor, IptablesFirewallDriver; for ``compute``
its network_info comes from the local network manager, for ``rpc_compute``
from nova-network over RPC), inside the namespace it runs in, then answers
one JSON request per stdin line with one JSON line on stdout::

    {"obj": "manager" | "driver" | "compute" | "rpc_compute" | "hypervisor",
     "method": "...", "args": [...], "kwargs": {...}, "context": true}
    -> {"result": ...} | {"error": "ExceptionClass: text"}

``"context": true`` passes an admin context as the first argument.
"""

import json
import logging
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(
    os.path.dirname(__file__), os.pardir, os.pardir, os.pardir)))

from nova import context  # noqa: E402
from nova import flags  # noqa: E402
from nova import utils  # noqa: E402
from nova.utils import cmdline  # noqa: E402
import nova.db.api  # noqa: E402,F401 - db flags
import nova.network.manager  # noqa: E402,F401 - network flags
import nova.network.linux_net  # noqa: E402,F401 - driver flags
import nova.virt.firewall  # noqa: E402,F401 - firewall flags

FLAGS = flags.FLAGS


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class LocalNetworkAPI(object):
    """network.api.API answered by this process's network manager."""

    def __init__(self, network_manager):
        self.network_manager = network_manager

    def get_instance_nw_info(self, ctxt, instance):
        """The instance's network_info, from the local manager."""
        return self.network_manager.get_instance_nw_info(
            ctxt, instance['id'], host=instance['host'])


def _compute(network_manager):
    """A compute manager on the fake hypervisor with iptables filtering.

    With a ``network_manager`` its network_info comes from that local
    manager; with None from nova-network over RPC (``network.api``), as
    in a real nova-compute.
    """
    from nova.compute import manager as compute_manager
    from nova.virt import fake
    from nova.virt import firewall
    driver = fake.get_connection()
    driver.firewall_driver = firewall.IptablesFirewallDriver()
    network_api = None
    if network_manager is not None:
        network_api = LocalNetworkAPI(network_manager)
    return compute_manager.ComputeManager(compute_driver=driver,
                                          network_api=network_api)


class Hypervisor(object):
    """The fake hypervisor of ``rpc_compute``, for a test to give it the
    guest of an instance row (as if nova-compute had built it)."""

    def __init__(self, compute):
        self.compute = compute

    def spawn_instance(self, ctxt, instance_id):
        """Define and boot the guest of an existing instance row."""
        from nova import db
        self.compute.driver.spawn(ctxt, db.instance_get(ctxt, instance_id),
                                  [])


def main():
    """Serve requests until stdin closes."""
    cmdline.parse_args(sys.argv, 'nova-network')
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG)
    import nova.network.linux_net as linux_net
    objects = {'manager': utils.import_object(FLAGS.network_manager),
               'driver': linux_net}
    out = sys.stdout
    sys.stdout = sys.stderr
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            if request['obj'] == 'compute' and 'compute' not in objects:
                objects['compute'] = _compute(objects['manager'])
            if request['obj'] in ('rpc_compute', 'hypervisor') and \
                    'rpc_compute' not in objects:
                objects['rpc_compute'] = _compute(None)
                objects['hypervisor'] = Hypervisor(objects['rpc_compute'])
            args = list(request.get('args', []))
            if request.get('context'):
                args.insert(0, context.get_admin_context())
            method = getattr(objects[request['obj']], request['method'])
            reply = {'result': _plain(method(*args,
                                             **request.get('kwargs', {})))}
        except Exception as exc:
            logging.exception('request %s failed', request)
            reply = {'error': '%s: %s' % (type(exc).__name__, exc)}
        out.write(json.dumps(reply) + '\n')
        out.flush()


if __name__ == '__main__':
    main()
