"""The VSA API: records of Virtual Storage Arrays and their drives.

Diablo 2011.3's VSAs (Zadara Storage, experimental) were VC instances on a
special image plus back-end volumes on drives of VSA drive types.  This
project keeps the records and the decisions — the VSA row, its drive list
(from ``storage``: drive type, count, size; shared drives split into
``--vsa_part_size_gb`` partitions), the VC count (at most
``--max_vcs_in_vsa``) — but has no VSA appliance: the step that would
create the back-end volumes and launch the VCs raises NoVsaBackend and the
VSA is left in status ``failed``, never reported as created.
"""

import logging

from nova import db
from nova import exception
from nova import flags
from nova.compute import instance_types
from nova.volume import api as _volume_api  # noqa: F401 - flags
from nova.vsa import drive_types

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.vsa')

flags.DEFINE_string('default_vsa_instance_type', 'm1.small',
                    'default instance type for VSA instances')
flags.DEFINE_integer('max_vcs_in_vsa', 32,
                     'maximum number of VCs in a VSA')
flags.DEFINE_integer('vsa_part_size_gb', 100,
                     'default partition size for shared capacity')
flags.DEFINE_string('vc_image_name', 'vc_image',
                    'the VC image ID (for a VC image that exists in DB '
                    'Glance)')


class VsaState(object):
    """The ``status`` values of a VSA."""

    CREATING = 'creating'
    LAUNCHING = 'launching'
    CREATED = 'created'
    PARTIAL = 'partial'
    FAILED = 'failed'
    DELETING = 'deleting'


def _vc_count(value):
    count = int(value)
    if count > FLAGS.max_vcs_in_vsa:
        LOG.warning('Requested number of VCs (%d) is too high. Setting to '
                    'default', count)
        count = FLAGS.max_vcs_in_vsa
    return count


def volume_params(context, vsa_name, storage, shared, first_index=0):
    """The back-end volumes of ``storage`` (``[{'drive_name',
    'num_drives', 'size'}]``): full drives (size 0) or, when ``shared``,
    partitions of ``--vsa_part_size_gb``."""
    volumes = []
    index = first_index
    for node in storage or []:
        name = node.get('drive_name')
        if name is None:
            raise exception.Invalid('No drive_name param found in %s' % node)
        try:
            volume_type = drive_types.get(context, name)
        except exception.NotFound:
            raise exception.Invalid('Invalid drive type name %s' % name)
        count = int(node.get('num_drives', 1))
        size = int(node.get('size',
                            volume_type['extra_specs']['drive_size']))
        if shared:
            count = count * size // FLAGS.vsa_part_size_gb
            size = FLAGS.vsa_part_size_gb
        else:
            size = 0    # a full drive
        for _ in range(count):
            volumes.append({
                'size': size, 'name': 'drive-%03d' % index,
                'description': 'BE volume for VSA %s type %s' % (vsa_name,
                                                                 name),
                'volume_type_id': volume_type['id']})
            index += 1
    return volumes


class API(object):
    """Creates, changes, lists and deletes VSA records."""

    def create(self, context, display_name='', display_description='',
               vc_count=1, instance_type=None, image_name=None,
               availability_zone=None, storage=None, shared=False):
        """Record a VSA and its drives, then ask for the appliance.

        Without a VSA backend the VSA ends in status ``failed`` and
        NoVsaBackend is raised (the record stays, to be deleted).
        """
        if instance_type is None:
            instance_type = instance_types.get_instance_type_by_name(
                FLAGS.default_vsa_instance_type)
        vsa = db.vsa_create(context, {
            'display_name': display_name,
            'display_description': display_description,
            'project_id': context.project_id,
            'availability_zone': (availability_zone or
                                  FLAGS.storage_availability_zone),
            'instance_type_id': instance_type['id'],
            'image_ref': image_name or FLAGS.vc_image_name,
            'vc_count': _vc_count(vc_count),
            'status': VsaState.CREATING})
        try:
            volumes = volume_params(context, vsa['name'], storage, shared)
        except exception.Invalid:
            db.vsa_destroy(context, vsa['id'])
            raise
        db.vsa_update(context, vsa['id'], {
            'display_name': display_name or vsa['name'],
            'vol_count': len(volumes)})
        LOG.warning('VSA %s recorded with %d drive(s); no VSA backend is '
                    'configured to create them', vsa['name'], len(volumes))
        db.vsa_update(context, vsa['id'], {'status': VsaState.FAILED})
        raise exception.NoVsaBackend(action='creating VSA %s' % vsa['name'])

    def update(self, context, vsa_id, **kwargs):
        """Change status, vc_count, vol_count, display name/description.

        A different VC count is recorded; adding or removing VCs needs
        the appliance (Diablo left it to do as well).
        """
        changes = dict((key, kwargs[key]) for key in (
            'status', 'vol_count', 'display_name', 'display_description')
            if key in kwargs)
        if kwargs.get('vc_count') is not None:
            changes['vc_count'] = _vc_count(kwargs['vc_count'])
        return db.vsa_update(context, vsa_id, changes)

    def delete(self, context, vsa_id):
        """Delete a VSA record (it has no VCs or volumes here)."""
        LOG.info('Going to try to terminate VSA ID %s', vsa_id)
        db.vsa_destroy(context, vsa_id)

    def get(self, context, vsa_id):
        """One VSA; VirtualStorageArrayNotFound."""
        return db.vsa_get(context, vsa_id)

    def get_all(self, context):
        """Every VSA (admin) or the project's."""
        if context.is_admin:
            return db.vsa_get_all(context)
        return db.vsa_get_all_by_project(context, context.project_id)
