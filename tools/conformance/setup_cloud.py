"""Prepare a fresh embedded cloud for the EC2 conformance suite.

Run with the cloud's flagfile before nova-all starts::

    python tools/conformance/setup_cloud.py --flagfile=STATE/nova.conf

Migrates the database, creates a network (FlatDHCPManager, rows only), a non-admin user
``tempest`` (sysadmin and netadmin in project ``tempest``, its manager) and
a public machine image with a kernel and a ramdisk owned by another project
(``imageowner``: the suite expects an image "created by admin" that its user
may run and tag but not change).  Prints ``ACCESS SECRET IMAGE_ID``.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))

from nova import context  # noqa: E402
from nova import flags  # noqa: E402
from nova import utils  # noqa: E402
from nova.api.ec2 import ec2utils  # noqa: E402

FLAGS = flags.FLAGS


def main(argv):
    """Set the cloud up; print the credentials and the image id."""
    import nova.db.api  # noqa: F401 - flags
    import nova.network.manager  # noqa: F401 - flags
    FLAGS(argv)
    from nova import image
    from nova.auth import manager
    from nova.db import migration
    migration.db_sync()
    network = utils.import_object(FLAGS.network_manager)
    network.create_networks(context.get_admin_context(), 'private',
                            '10.77.0.0/24', num_networks=1,
                            network_size=256, bridge='br77')
    auth = manager.AuthManager()
    user = auth.create_user('tempest')
    auth.create_user('imageadmin')
    auth.create_project('tempest', 'tempest')
    auth.create_project('imageowner', 'imageadmin')
    for role in ('sysadmin', 'netadmin'):
        auth.add_role('tempest', role)
        auth.add_role('tempest', role, 'tempest')
    service = image.get_default_image_service()
    props = {'image_state': 'available', 'architecture': 'x86_64',
             'project_id': 'imageowner', 'owner_id': 'imageowner'}
    for fmt in ('aki', 'ari'):
        part = service.create(None, {
            'name': 'conformance-%s' % fmt, 'is_public': True,
            'status': 'active', 'container_format': fmt, 'disk_format': fmt,
            'properties': dict(props)})
        props['kernel_id' if fmt == 'aki' else 'ramdisk_id'] = part['id']
    ami = service.create(None, {
        'name': 'conformance', 'is_public': True, 'status': 'active',
        'container_format': 'ami', 'disk_format': 'ami',
        'properties': props})
    print(user.access, user.secret, ec2utils.image_ec2_id(ami['id'], 'ami'))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
