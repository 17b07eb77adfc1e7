"""What the OpenStack API functional tests share: an in-process cloud with
the ``osapi`` paste app on a loopback port, a python-novaclient 6.0.2
client for a new user, and a look at a server's guest on the fake
hypervisors."""

from tests.functional.conftest import InProcessCloud


def start_osapi(cloud, prepare=None):
    """Start the ``osapi`` app of a started *cloud* on a free loopback port
    (``cloud.osapi_port``); *prepare*, if given, runs in the cloud first."""
    def start():
        from nova import service
        if prepare is not None:
            prepare()
        api = service.WSGIService('osapi', host='127.0.0.1', port=0)
        api.start()
        cloud.services.append(api)
        return api.port

    cloud.osapi_port = cloud.call_in_cloud(start)
    return cloud.osapi_port


def osapi_cloud(state_path, prepare=None, **kwargs):
    """A started :class:`InProcessCloud` (made with *kwargs*) serving the
    ``osapi`` app; the caller stops it."""
    cloud = InProcessCloud(state_path, **kwargs)
    cloud.start()
    try:
        start_osapi(cloud, prepare)
    except BaseException:
        cloud.stop()
        raise
    return cloud


def floating_pool(addresses):
    """A *prepare* for :func:`osapi_cloud`: the floating IP pool."""
    def create():
        from nova import context
        from nova import db
        db.floating_ip_bulk_create(context.get_admin_context(),
                                   [{'address': a} for a in addresses])
    return create


def osapi_url(cloud):
    """The v1.1 endpoint of the cloud's ``osapi`` app."""
    return 'http://127.0.0.1:%d/v1.1/' % cloud.osapi_port


def novaclient_for(cloud, user, key, project):
    """A python-novaclient 6.0.2 v1.1 client (X-Auth-Key auth)."""
    from novaclient import client as novaclient
    return novaclient.Client('1.1', user, key, project, osapi_url(cloud))


def user_client(cloud, name, project, admin=False):
    """A new user *name* of *project* and its novaclient."""
    access, _secret = cloud.create_user(name, project, admin=admin)
    return novaclient_for(cloud, name, access.split(':', 1)[0], project)


def find_guest(cloud, server_id):
    """``(host, guest)`` of a server on the fake hypervisors, or None."""
    def find():
        name = 'instance-%08x' % int(server_id)
        for svc in cloud.services:
            if getattr(svc, 'binary', None) == 'nova-compute' and \
                    name in svc.manager.driver.guests:
                return svc.host, svc.manager.driver.guests[name]
        return None
    return cloud.call_in_cloud(find)
