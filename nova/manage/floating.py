"""``nova-manage floating``: the pool of floating (public) IPs.

Database only for now: the addresses are configured on the network host
when floating IPs are associated, which comes with host networking.
"""

import ipaddress

from nova import db
from nova import exception
from nova.manage.base import CommandError, admin_context, args

# The largest range created or deleted at once (a /16).
MAX_RANGE = 65536


def _looks_like_range(word):
    try:
        ipaddress.ip_network(str(word).strip(), strict=False)
        return True
    except ValueError:
        return False


def _addresses(ip_range):
    """Every address of a CIDR (network and broadcast included) or one IP."""
    try:
        net = ipaddress.ip_network(str(ip_range).strip(), strict=False)
    except ValueError as exc:
        raise exception.InvalidCidr(cidr=ip_range, reason=str(exc))
    if net.num_addresses > MAX_RANGE:
        raise CommandError('%s has %d addresses; give at most %d (a /16) at '
                           'a time' % (ip_range, net.num_addresses,
                                       MAX_RANGE))
    if net.num_addresses == 1:
        return [str(net.network_address)]
    return [str(address) for address in net]


def _host_and_range(ip_range, host):
    """Accept ``[host] range`` as the admin manual writes it."""
    if host is not None and not _looks_like_range(ip_range) and \
            _looks_like_range(host):
        return host, ip_range
    return ip_range, host


class FloatingCommands(object):
    """Manage the floating IP pool (table floating_ips)."""

    @args('--ip_range', dest='ip_range', metavar='<range>', help='IP range')
    @args('--host', dest='host', metavar='<host>', help='Network host')
    def create(self, ip_range, host=None):
        """Add every address of a range: ``create [HOST] RANGE``."""
        ip_range, host = _host_and_range(ip_range, host)
        values = [{'address': address, 'host': host}
                  for address in _addresses(ip_range)]
        db.floating_ip_bulk_create(admin_context(), values)

    @args('--ip_range', dest='ip_range', metavar='<range>', help='IP range')
    @args('--host', dest='host', metavar='<host>', help='Network host')
    def delete(self, ip_range, host=None):
        """Remove every address of a range (none may be associated)."""
        ip_range, host = _host_and_range(ip_range, host)
        db.floating_ip_bulk_destroy(admin_context(), _addresses(ip_range))

    @args('--ip_range', dest='ip_range', metavar='<range>', help='IP range')
    @args('--host', dest='host', metavar='<host>', help='Network host')
    def destroy(self, ip_range, host=None):
        """The admin manual's name of ``delete``: ``destroy [HOST] RANGE``."""
        return self.delete(ip_range, host)

    @args('--host', dest='host', metavar='<host>', help='Host')
    def list(self, host=None):
        """List floating IPs: host, address, instance hostname."""
        ctxt = admin_context()
        if host is None:
            floating_ips = db.floating_ip_get_all(ctxt)
        else:
            floating_ips = db.floating_ip_get_all_by_host(ctxt, host)
        for floating_ip in floating_ips:
            hostname = None
            fixed_ip = floating_ip['fixed_ip']
            if fixed_ip is not None and fixed_ip['instance'] is not None:
                hostname = fixed_ip['instance']['hostname']
            print('%s\t%s\t%s' % (floating_ip['host'], floating_ip['address'],
                                  hostname))
