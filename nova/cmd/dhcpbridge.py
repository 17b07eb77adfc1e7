"""nova-dhcpbridge: called by dnsmasq when a DHCP lease changes.

``nova-dhcpbridge add|old|del MAC IP [HOSTNAME]`` tells nova-network on this
host that a fixed IP was leased or released.  ``init`` (or any other first
argument) prints the current leases of ``$NETWORK_ID`` for dnsmasq's
``--leasefile-ro`` start-up.
"""

import os
import sys

from nova import context
from nova import flags
from nova.rpc import outbox
from nova.utils import cmdline as common

FLAGS = flags.FLAGS


def _network_topic():
    return '%s.%s' % (FLAGS.network_topic, FLAGS.host)


def _tell_network(method, ip_address):
    """Cast to this host's nova-network through the outbox (a broker away
    now delays the news, a daemon's relay sends it later); under
    ``--fake_rabbit`` (no broker shared between processes) call a local
    network manager directly."""
    ctxt = context.get_admin_context()
    if FLAGS.fake_rabbit:
        from nova import utils
        network_manager = utils.import_object(FLAGS.network_manager)
        getattr(network_manager, method)(ctxt, ip_address)
        return
    outbox.cast(ctxt, _network_topic(),
                {'method': method, 'args': {'address': ip_address}})


def add_lease(mac, ip_address):
    """A lease was granted (or renewed): mark the fixed IP leased."""
    _tell_network('lease_fixed_ip', ip_address)


def del_lease(mac, ip_address):
    """A lease expired or was released: mark the fixed IP unleased."""
    _tell_network('release_fixed_ip', ip_address)


def init_leases(network_id):
    """The lease lines dnsmasq should start with, from the database."""
    from nova.network import leases
    return leases.lease_lines(context.get_admin_context(), network_id)


def main(argv=None):
    """Entry point of the nova-dhcpbridge console script."""
    argv = list(sys.argv if argv is None else argv)
    flagfile = os.environ.get('FLAGFILE')
    if flagfile and not any('flagfile' in a for a in argv):
        argv.insert(1, '--flagfile=%s' % flagfile)
    rest = common.parse_args(argv, 'nova-dhcpbridge')
    action = rest[1] if len(rest) > 1 else 'init'
    if action in ('add', 'old') and len(rest) >= 4:
        add_lease(rest[2], rest[3])
    elif action == 'del' and len(rest) >= 4:
        del_lease(rest[2], rest[3])
    else:
        network_id = int(os.environ.get('NETWORK_ID', '0') or 0)
        sys.stdout.write(init_leases(network_id))
    return 0
