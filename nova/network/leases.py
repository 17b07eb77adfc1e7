"""The DHCP leases of a network, in dnsmasq's lease-file format.

``nova-dhcpbridge init`` prints :func:`lease_lines` so that dnsmasq, started
with ``--leasefile-ro``, knows the leases Nova already gave out.  One line
per address given to an instance with a MAC::

    <expiry epoch> <mac> <ip> <hostname or *> *

The expiry is the instance's last update (or creation) plus
``--dhcp_lease_time``.  On a multi-host network a host lists only its own
instances.
"""

import calendar

from nova import db
from nova import exception
from nova import flags

FLAGS = flags.FLAGS


def _lease_time():
    try:
        return int(FLAGS.dhcp_lease_time)
    except AttributeError:
        return 120


def host_lease(fixed_ip):
    """The lease line of one fixed IP row (instance and VIF loaded)."""
    instance = fixed_ip['instance']
    stamp = instance['updated_at'] or instance['created_at']
    expiry = calendar.timegm(stamp.utctimetuple()) + _lease_time()
    return '%d %s %s %s *' % (expiry,
                              fixed_ip['virtual_interface']['address'],
                              fixed_ip['address'],
                              instance['hostname'] or '*')


def lease_lines(context, network_id):
    """dnsmasq lease-file text for a network (empty for no leases)."""
    try:
        network = db.network_get(context, network_id)
    except exception.NetworkNotFound:
        return ''
    lines = []
    for fixed_ip in db.network_get_associated_fixed_ips(context, network_id):
        instance = fixed_ip['instance']
        if instance is None or fixed_ip['virtual_interface'] is None:
            continue
        if network['multi_host'] and instance['host'] != FLAGS.host:
            continue
        lines.append(host_lease(fixed_ip))
    return ''.join(line + '\n' for line in lines)
