"""``nova-manage fixed``: list, reserve and unreserve fixed IPs."""

import sys

from nova import db
from nova import exception
from nova.manage.base import admin_context, args

LIST_FORMAT = '%-18s\t%-15s\t%-17s\t%-15s\t%s'


def _error(exc):
    """Diablo's 'error: ...' line and exit status 2."""
    sys.stderr.write('error: %s\n' % exc)
    return 2


class FixedCommands(object):
    """Manage the fixed IP addresses of the networks."""

    @args('--host', dest='host', metavar='<host>', help='Host')
    def list(self, host=None):
        """List fixed IPs: network, address, MAC, instance hostname, host."""
        ctxt = admin_context()
        try:
            if host is None:
                fixed_ips = db.fixed_ip_get_all(ctxt)
            else:
                fixed_ips = db.fixed_ip_get_all_by_instance_host(ctxt, host)
        except exception.NotFound as exc:
            return _error(exc)
        print(LIST_FORMAT % ('network', 'IP address', 'MAC address',
                             'hostname', 'host'))
        for fixed_ip in fixed_ips:
            hostname = instance_host = mac_address = None
            instance = fixed_ip['instance']
            if instance is not None:
                hostname = instance['hostname']
                instance_host = instance['host']
                if fixed_ip['virtual_interface'] is not None:
                    mac_address = fixed_ip['virtual_interface']['address']
            network = fixed_ip['network']
            print(LIST_FORMAT % (network['cidr'] if network else None,
                                 fixed_ip['address'], mac_address, hostname,
                                 instance_host))

    def _set_reserved(self, address, reserved):
        ctxt = admin_context()
        try:
            db.fixed_ip_update(ctxt, address, {'reserved': reserved})
        except exception.NotFound as exc:
            return _error(exc)
        return 0

    @args('--address', dest='address', metavar='<ip address>',
          help='IP address')
    def reserve(self, address):
        """Mark a fixed IP reserved: it is never given to an instance."""
        return self._set_reserved(address, True)

    @args('--address', dest='address', metavar='<ip address>',
          help='IP address')
    def unreserve(self, address):
        """Make a reserved fixed IP available to instances again."""
        return self._set_reserved(address, False)
