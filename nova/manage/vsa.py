"""``nova-manage vsa`` and ``nova-manage drive``: VSA records and VSA
drive types, with Diablo 2011.3's arguments and output.

Creating a VSA needs a Zadara VSA appliance; without one the VSA is
recorded in status ``failed`` and the command says "No VSA backend
configured" (exit code non-zero), never that the VSA was created.
"""

import ast

from nova import db
from nova import exception
from nova import flags
from nova import rpc
from nova.compute import instance_types
from nova.manage.base import CommandError, admin_context, args
from nova.vsa import api as vsa_api
from nova.vsa import drive_types

FLAGS = flags.FLAGS

_VSA_FORMAT = ('%(id)-5s %(vsa_id)-15s %(name)-25s %(type)-10s %(vcs)-6s '
               '%(drives)-9s %(stat)-10s %(az)-10s %(time)-10s')
_DRIVE_FORMAT = '%-5s %-30s %-10s %-10s %-10s %-20s %-10s %s'


def _vsa_internal_id(vsa_id):
    """``vsa-0000000a`` (or a bare number) -> 10."""
    text = str(vsa_id)
    try:
        if '-' in text:
            return int(text.rsplit('-', 1)[1], 16)
        return int(text)
    except ValueError:
        raise exception.InvalidInput(reason='invalid VSA id %r' % vsa_id)


def _print_vsas(vsas):
    if vsas:
        print(_VSA_FORMAT % dict(
            id='ID', vsa_id='vsa_id', name='displayName', type='vc_type',
            vcs='vc_cnt', drives='drive_cnt', stat='status', az='AZ',
            time='createTime'))
    for vsa in vsas:
        itype = vsa['vsa_instance_type']
        print(_VSA_FORMAT % dict(
            id=vsa['id'], vsa_id=vsa['name'], name=vsa['display_name'],
            type=itype['name'] if itype else None, vcs=vsa['vc_count'],
            drives=vsa['vol_count'], stat=vsa['status'],
            az=vsa['availability_zone'], time=str(vsa['created_at'])))


def _print_drives(drives):
    if drives:
        print(_DRIVE_FORMAT % ('ID', 'name', 'type', 'size_gb', 'rpm',
                               'capabilities', 'visible', 'createTime'))
    for _name, volume_type in sorted(drives.items()):
        specs = volume_type['extra_specs']
        print(_DRIVE_FORMAT % (
            volume_type['id'], specs.get('drive_name'),
            specs.get('drive_type'), specs.get('drive_size'),
            specs.get('drive_rpm'), specs.get('capabilities', ''),
            specs.get('visible', ''), volume_type['created_at']))


class VsaCommands(object):
    """Methods for dealing with VSAs"""

    def __init__(self):
        self.vsa_api = vsa_api.API()

    @args('--storage', dest='storage',
          metavar="[{'drive_name': 'type', 'num_drives': N, 'size': M},..]",
          help='Initial storage allocation for VSA')
    @args('--name', dest='name', metavar='<name>', help='VSA name')
    @args('--description', dest='description', metavar='<description>',
          help='VSA description')
    @args('--vc', dest='vc_count', metavar='<number>', help='Number of VCs')
    @args('--instance_type', dest='instance_type_name', metavar='<name>',
          help='Instance type name')
    @args('--image', dest='image_name', metavar='<name>', help='Image name')
    @args('--shared', dest='shared', action='store_true', default=False,
          help='Use shared drives')
    @args('--az', dest='az', metavar='<zone:host>', help='Availability zone')
    @args('--user', dest='user_id', metavar='<User name>', help='User name')
    @args('--project', dest='project_id', metavar='<Project name>',
          help='Project name')
    def create(self, storage='[]', name=None, description=None, vc_count=1,
               instance_type_name=None, image_name=None, shared=None,
               az=None, user_id=None, project_id=None):
        """Create a VSA."""
        try:
            storage_list = ast.literal_eval(storage or '[]')
        except (ValueError, SyntaxError):
            raise CommandError('Invalid string format %s' % storage)
        for node in storage_list:
            if not isinstance(node, dict) or 'drive_name' not in node or \
                    'num_drives' not in node:
                raise CommandError(
                    "Invalid string format for element %s. Expecting keys "
                    "'drive_name' & 'num_drives'" % (node,))
        if shared in (None, False, '--full_drives'):
            shared = False
        elif shared in (True, '--shared'):
            shared = True
        else:
            raise CommandError('Shared parameter should be set either to '
                               '--shared or --full_drives')
        ctxt = admin_context()
        if project_id:
            ctxt.project_id = project_id
        if user_id:
            ctxt.user_id = user_id
        try:
            self.vsa_api.create(
                ctxt, display_name=name, display_description=description,
                vc_count=int(vc_count),
                instance_type=instance_types.get_instance_type_by_name(
                    instance_type_name or None),
                image_name=image_name or None, availability_zone=az,
                storage=storage_list, shared=shared)
        except exception.NoVsaBackend as exc:
            _print_vsas([v for v in self.vsa_api.get_all(ctxt)
                         if v['status'] == vsa_api.VsaState.FAILED][-1:])
            raise CommandError(str(exc))

    @args('--id', dest='vsa_id', metavar='<vsa_id>', help='VSA ID')
    @args('--name', dest='name', metavar='<name>', help='VSA name')
    @args('--description', dest='description', metavar='<description>',
          help='VSA description')
    @args('--vc', dest='vc_count', metavar='<number>', help='Number of VCs')
    def update(self, vsa_id, name=None, description=None, vc_count=None):
        """Updates name/description of vsa and number of VCs."""
        values = {}
        if name is not None:
            values['display_name'] = name
        if description is not None:
            values['display_description'] = description
        if vc_count is not None:
            values['vc_count'] = int(vc_count)
        result = self.vsa_api.update(admin_context(),
                                     _vsa_internal_id(vsa_id), **values)
        _print_vsas([result])

    @args('--id', dest='vsa_id', metavar='<vsa_id>', help='VSA ID')
    def delete(self, vsa_id):
        """Delete a VSA."""
        self.vsa_api.delete(admin_context(), _vsa_internal_id(vsa_id))

    @args('--id', dest='vsa_id', metavar='<vsa_id>',
          help='VSA ID (optional)')
    @args('--all', dest='all', action='store_true', default=False,
          help='Show all available details')
    @args('--drives', dest='drives', action='store_true',
          help='Include drive-level details')
    @args('--volumes', dest='volumes', action='store_true',
          help='Include volume-level details')
    @args('--instances', dest='instances', action='store_true',
          help='Include instance-level details')
    def list(self, vsa_id=None, all=False, drives=False, volumes=False,
             instances=False):
        """Describe all available VSAs (or particular one)."""
        ctxt = admin_context()
        if vsa_id is not None:
            vsas = [self.vsa_api.get(ctxt, _vsa_internal_id(vsa_id))]
        else:
            vsas = self.vsa_api.get_all(ctxt)
        # Without a VSA backend no VSA has VC instances, drives or
        # volumes, so the detail sections Diablo printed stay empty.
        _print_vsas(vsas)

    def update_capabilities(self):
        """Forces updates capabilities on all nova-volume nodes."""
        rpc.fanout_cast(admin_context(), FLAGS.volume_topic,
                        {'method': 'notification',
                         'args': {'event': 'startup'}})


class VsaDriveTypeCommands(object):
    """Methods for dealing with VSA drive types"""

    @args('--type', dest='type', metavar='<type>',
          help='Drive type (SATA, SAS, SSD, etc.)')
    @args('--size', dest='size_gb', metavar='<gb>', help='Drive size in GB')
    @args('--rpm', dest='rpm', metavar='<rpm>', help='RPM')
    @args('--capabilities', dest='capabilities', default=None,
          metavar='<string>', help='Different capabilities')
    @args('--hide', dest='hide', action='store_true', default=False,
          help='Show or hide drive')
    @args('--name', dest='name', metavar='<name>', help='Drive name')
    def create(self, type, size_gb, rpm, capabilities=None, hide=False,
               name=None):
        """Create drive type."""
        hide = hide in (True, 'True', '--hide', 'hide')
        result = drive_types.create(admin_context(), type, size_gb, rpm,
                                    capabilities=capabilities or None,
                                    visible=not hide, name=name)
        _print_drives({result['name']: result})

    @args('--name', dest='name', metavar='<name>', help='Drive name')
    @args('--purge', action='store_true', dest='purge', default=False,
          help='purge record from database')
    def delete(self, name, purge=False):
        """Marks instance types / flavors as deleted"""
        ctxt = admin_context()
        try:
            drive_types.get(ctxt, name)
        except (exception.NotFound, exception.Invalid):
            raise CommandError('Valid volume type name is required')
        if purge in (True, '--purge', 'purge'):
            db.volume_type_purge(ctxt, name)
            verb = 'purged'
        else:
            db.volume_type_destroy(ctxt, name)
            verb = 'deleted'
        print('%s %s' % (name, verb))

    @args('--all', dest='all', action='store_true', default=False,
          help='Show all drives (including invisible)')
    @args('--name', dest='name', metavar='<name>',
          help='Show only specified drive')
    def list(self, all=False, name=None):
        """Describe all available VSA drive types (or particular one)."""
        include_hidden = all in (True, '--all', 'True')
        _print_drives(drive_types.get_all(admin_context(), include_hidden,
                                          name=name))

    @args('--name', dest='name', metavar='<name>', help='Drive name')
    @args('--type', dest='type', metavar='<type>',
          help='Drive type (SATA, SAS, SSD, etc.)')
    @args('--size', dest='size_gb', metavar='<gb>', help='Drive size in GB')
    @args('--rpm', dest='rpm', metavar='<rpm>', help='RPM')
    @args('--capabilities', dest='capabilities', default=None,
          metavar='<string>', help='Different capabilities')
    @args('--visible', dest='visible', metavar='<show|hide>',
          help='Show or hide drive')
    def update(self, name, type=None, size_gb=None, rpm=None,
               capabilities=None, visible=None):
        """Update drive type."""
        if visible is not None:
            if visible in ('show', True, 'True'):
                visible = True
            elif visible in ('hide', False, 'False'):
                visible = False
            else:
                raise CommandError('visible parameter should be set to show '
                                   'or hide')
        result = drive_types.update(admin_context(), name, type, size_gb,
                                    rpm, capabilities, visible)
        _print_drives({name: result})
