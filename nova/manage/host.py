"""``nova-manage host``: the hosts that run services."""

from nova import db
from nova.manage.base import admin_context


class HostCommands(object):
    """List hosts."""

    def list(self, zone=None):
        """Print each host running a service, with its zone."""
        print('%-25s\t%-15s' % ('host', 'zone'))
        seen = set()
        services = db.service_get_all(admin_context())
        for svc in sorted(services, key=lambda s: (s['host'] or '',
                                                   s['availability_zone']
                                                   or '')):
            if zone and svc['availability_zone'] != zone:
                continue
            if svc['host'] in seen:
                continue
            seen.add(svc['host'])
            print('%-25s\t%-15s' % (svc['host'], svc['availability_zone']))
