"""VSA drive types: volume types whose extra specs say ``type=vsa_drive``.

As Diablo 2011.3 stored them: ``drive_name``, ``drive_type`` (SATA, SAS,
SSD...), ``drive_size`` (GB), ``drive_rpm``, ``visible`` and optionally
``capabilities``.  The default name is ``<type>_<size>GB_<rpm>RPM``.
"""

from nova import db
from nova import exception

NAME_TEMPLATE = '%s_%sGB_%sRPM'


def create(context, drive_type, size_gb, rpm, capabilities=None,
           visible=True, name=None):
    """Record a drive type; returns it (a volume type dict)."""
    name = name or NAME_TEMPLATE % (drive_type, size_gb, rpm)
    specs = {'type': 'vsa_drive', 'drive_name': name,
             'drive_type': drive_type, 'drive_size': str(size_gb),
             'drive_rpm': str(rpm), 'visible': str(bool(visible))}
    if capabilities:
        specs['capabilities'] = capabilities
    db.volume_type_create(context, {'name': name, 'extra_specs': specs})
    return db.volume_type_get_by_name(context, name)


def update(context, name, drive_type=None, size_gb=None, rpm=None,
           capabilities=None, visible=None):
    """Change the specs given (not None); returns the drive type."""
    current = get(context, name)
    specs = {'type': 'vsa_drive'}
    for key, value in (('drive_type', drive_type), ('drive_size', size_gb),
                       ('drive_rpm', rpm), ('capabilities', capabilities)):
        if value:
            specs[key] = str(value)
    if visible is not None:
        specs['visible'] = str(bool(visible))
    db.volume_type_extra_specs_update_or_create(context, current['id'],
                                                specs)
    return db.volume_type_get_by_name(context, name)


def is_drive_type(volume_type):
    """Whether a volume type is a usable VSA drive type."""
    specs = volume_type.get('extra_specs') or {}
    return (specs.get('type') == 'vsa_drive' and
            specs.get('drive_type') is not None and
            specs.get('drive_size') is not None)


def get(context, name):
    """The drive type ``name``; Invalid if that volume type is not one."""
    volume_type = db.volume_type_get_by_name(context, name)
    if not is_drive_type(volume_type):
        raise exception.Invalid('Invalid drive type %s' % name)
    return volume_type


def get_all(context, include_hidden=False, name=None):
    """``{name: drive type}``, visible ones only unless asked."""
    found = {}
    for type_name, volume_type in db.volume_type_get_all(context).items():
        specs = volume_type['extra_specs']
        if specs.get('type') != 'vsa_drive':
            continue
        if name is not None and type_name != name:
            continue
        if not include_hidden and specs.get('visible') != 'True':
            continue
        found[type_name] = volume_type
    return found
