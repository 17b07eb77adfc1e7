"""nova-dhcpbridge: called by dnsmasq when a DHCP lease changes.

``nova-dhcpbridge add|old|del MAC IP [HOSTNAME]`` tells nova-network on this
host that a fixed IP was leased or released.  ``init`` (or any other first
argument) prints the current leases of ``$NETWORK_ID`` for dnsmasq's
``--leasefile-ro`` start-up.

dnsmasq runs its ``--dhcp-script`` for one lease event at a time and waits
for it to exit before it runs the next (under ``--leasefile-ro`` a lease
whose expiry changes is reported again as ``old``).  A run costs about 3 s
on a busy host (flags, database, broker), so the news of ten guests of a
node reached the database one by one, minutes late (5, 15 and 11 of 30
guests marked leased once all had booted).  Run by dnsmasq (``DNSMASQ_*``
in the environment), an ``add``, ``old`` or ``del`` therefore hands its
work to a child of its own and exits at once (0.3 s): dnsmasq goes on
with the next event while the child tells nova-network.
"""

import logging
import os
import stat
import sys

from nova import context
from nova import flags
from nova.rpc import outbox
from nova.utils import cmdline as common

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.dhcpbridge')


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


def _lease_event(argv):
    """Whether ``argv`` reports a lease event (``add``/``old``/``del``)."""
    words = [a for a in argv[1:] if not a.startswith('--')]
    return len(words) >= 3 and words[0] in ('add', 'old', 'del')


def _run_by_dnsmasq():
    """dnsmasq puts ``DNSMASQ_*`` variables into its script's environment."""
    return any(name.startswith('DNSMASQ_') for name in os.environ)


def _detach():
    """Fork; the parent returns True (it exits, so dnsmasq runs its next
    event), the child False (it does the work, in a session of its own,
    holding no pipe of dnsmasq's: its output goes to the log or nowhere)."""
    if os.fork():
        return True
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    for fd in (1, 2):
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            mode = 0
        if not stat.S_ISREG(mode):
            os.dup2(devnull, fd)
    os.close(devnull)
    return False


def main(argv=None):
    """Entry point of the nova-dhcpbridge console script."""
    argv = list(sys.argv if argv is None else argv)
    if _lease_event(argv) and _run_by_dnsmasq() and _detach():
        return 0
    flagfile = os.environ.get('FLAGFILE')
    if flagfile and not any('flagfile' in a for a in argv):
        argv.insert(1, '--flagfile=%s' % flagfile)
    rest = common.parse_args(argv, 'nova-dhcpbridge')
    action = rest[1] if len(rest) > 1 else 'init'
    LOG.debug('dnsmasq: %s', ' '.join(rest[1:]))
    if action in ('add', 'old') and len(rest) >= 4:
        add_lease(rest[2], rest[3])
    elif action == 'del' and len(rest) >= 4:
        del_lease(rest[2], rest[3])
    else:
        network_id = int(os.environ.get('NETWORK_ID', '0') or 0)
        sys.stdout.write(init_leases(network_id))
    return 0
