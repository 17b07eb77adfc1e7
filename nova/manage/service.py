"""``nova-manage service``: list, enable and disable services."""

import sys

from nova import db
from nova import exception
from nova import flags
from nova import rpc
from nova.manage.base import CommandError, admin_context, args
from nova.utils import servicegroup

FLAGS = flags.FLAGS

# Diablo's row, as the admin manual prints it (chapter 8): host first, no
# header: ``HostA nova-scheduler enabled :-) 2011-09-22 10:01:02``.
LIST_FORMAT = '%-10s %-10s %-8s %s %s'


class ServiceCommands(object):
    """Manage the services registered in the services table."""

    @args('--host', dest='host', metavar='<host>', help='Host')
    @args('--service', dest='service', metavar='<service>',
          help='Nova service')
    def list(self, host=None, service=None):
        """Show services: host, binary, status, :-) or XXX, last heartbeat."""
        ctxt = admin_context()
        services = db.service_get_all(ctxt)
        if host:
            services = [s for s in services if s['host'] == host]
        if service:
            services = [s for s in services if s['binary'] == service]
        for svc in sorted(services, key=lambda s: (s['host'], s['binary'])):
            status = 'disabled' if svc['disabled'] else 'enabled'
            alive = ':-)' if servicegroup.service_is_up(svc) else 'XXX'
            print(LIST_FORMAT % (svc['host'], svc['binary'], status, alive,
                                 svc['updated_at']))

    def _set_disabled(self, host, service, disabled):
        ctxt = admin_context()
        try:
            svc = db.service_get_by_args(ctxt, host, service)
        except exception.NotFound:
            raise CommandError('Unable to find service %s on host %s'
                               % (service, host))
        db.service_update(ctxt, svc['id'], {'disabled': disabled})

    @args('--host', dest='host', metavar='<host>', help='Host')
    @args('--service', dest='service', metavar='<service>',
          help='Nova service')
    def enable(self, host, service):
        """Enable scheduling for a service."""
        self._set_disabled(host, service, False)

    @args('--host', dest='host', metavar='<host>', help='Host')
    @args('--service', dest='service', metavar='<service>',
          help='Nova service')
    def disable(self, host, service):
        """Disable scheduling for a service."""
        self._set_disabled(host, service, True)

    @args('--host', dest='host', metavar='<host>', help='Host')
    def describe_resource(self, host):
        """Show the cpu, memory and disk of a host, total and per project."""
        result = rpc.call(admin_context(), FLAGS.scheduler_topic,
                          {'method': 'show_host_resources',
                           'args': {'host': host}})
        if not isinstance(result, dict) or not result.get('resource'):
            raise CommandError('%s is not a compute node or has no '
                               'resource record' % host)
        resource = result['resource']
        row = '%-25s%-15s%8s%10s%10s'
        print(row % ('HOST', 'PROJECT', 'cpu', 'mem(mb)', 'disk(gb)'))
        print(row % (host, '(total)', resource.get('vcpus'),
                     resource.get('memory_mb'), resource.get('local_gb')))
        print(row % (host, '(used_now)', resource.get('vcpus_used'),
                     resource.get('memory_mb_used'),
                     resource.get('local_gb_used')))
        usage = result.get('usage', {})
        print(row % (host, '(used_max)',
                     sum(u.get('vcpus', 0) for u in usage.values()),
                     sum(u.get('memory_mb', 0) for u in usage.values()),
                     sum(u.get('local_gb', 0) for u in usage.values())))
        for project, used in sorted(usage.items()):
            print(row % (host, project, used.get('vcpus', 0),
                         used.get('memory_mb', 0), used.get('local_gb', 0)))
        sys.stdout.flush()

    @args('--host', dest='host', metavar='<host>', help='Host')
    def update_resource(self, host):
        """Ask a compute host to refresh its resource record."""
        ctxt = admin_context()
        try:
            svc = db.service_get_by_args(ctxt, host, 'nova-compute')
        except exception.NotFound:
            raise CommandError('%s is not a compute node' % host)
        if not servicegroup.service_is_up(svc):
            # A cast cannot fail: say so rather than exit 0 for nothing.
            raise CommandError('nova-compute on %s is down (last heartbeat '
                               '%s); nothing would update it' % (
                                   host, servicegroup.last_heartbeat(svc)))
        rpc.cast(ctxt, '%s.%s' % (FLAGS.compute_topic, svc['host']),
                 {'method': 'update_available_resource', 'args': {}})
