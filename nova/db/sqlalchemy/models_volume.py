"""Models of block storage: volumes, their types, snapshots and exports."""

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import backref, relationship

from nova import flags
from nova.db.sqlalchemy.models_base import BASE

FLAGS = flags.FLAGS


class Volume(BASE):
    """A block storage volume."""

    __tablename__ = 'volumes'
    _extra_keys = ['name']

    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(String(255))
    project_id = Column(String(255))
    snapshot_id = Column(String(255))
    host = Column(String(255))
    size = Column(Integer)
    availability_zone = Column(String(255))
    # No foreign key, as Diablo: the manual's recovery SQL sets it to 0.
    instance_id = Column(Integer, nullable=True, index=True)
    instance = relationship(
        'Instance', backref=backref('volumes'), foreign_keys=[instance_id],
        primaryjoin='and_(foreign(Volume.instance_id) == Instance.id, '
                    'Volume.deleted == False)')
    mountpoint = Column(String(255))
    attach_time = Column(String(255))
    status = Column(String(255))
    attach_status = Column(String(255))
    scheduled_at = Column(DateTime)
    launched_at = Column(DateTime)
    terminated_at = Column(DateTime)
    display_name = Column(String(255))
    display_description = Column(String(255))
    provider_location = Column(String(255))
    provider_auth = Column(String(255))
    volume_type_id = Column(Integer)

    @property
    def name(self):
        """``--volume_name_template % id``."""
        return FLAGS.volume_name_template % self.id


class VolumeMetadata(BASE):
    """A key/value pair attached to a volume."""

    __tablename__ = 'volume_metadata'
    id = Column(Integer, primary_key=True)
    key = Column(String(255))
    value = Column(String(255))
    volume_id = Column(Integer, ForeignKey('volumes.id'), nullable=False,
                       index=True)
    volume = relationship(
        'Volume', backref=backref('volume_metadata'),
        foreign_keys=[volume_id],
        primaryjoin='and_(VolumeMetadata.volume_id == Volume.id, '
                    'VolumeMetadata.deleted == False)')


class VolumeTypes(BASE):
    """A named kind of volume (backend, performance class...)."""

    __tablename__ = 'volume_types'
    id = Column(Integer, primary_key=True)
    name = Column(String(255), unique=True)
    volumes = relationship(
        'Volume', backref=backref('volume_type', uselist=False),
        primaryjoin='and_(foreign(Volume.volume_type_id) == VolumeTypes.id, '
                    'VolumeTypes.deleted == False)')


class VolumeTypeExtraSpecs(BASE):
    """A key/value pair attached to a volume type."""

    __tablename__ = 'volume_type_extra_specs'
    id = Column(Integer, primary_key=True)
    key = Column(String(255))
    value = Column(String(255))
    volume_type_id = Column(Integer, ForeignKey('volume_types.id'),
                            nullable=False, index=True)
    volume_type = relationship(
        'VolumeTypes', backref=backref('extra_specs'),
        foreign_keys=[volume_type_id],
        primaryjoin='and_(VolumeTypeExtraSpecs.volume_type_id == '
                    'VolumeTypes.id, VolumeTypeExtraSpecs.deleted == False)')


class Snapshot(BASE):
    """A point-in-time copy of a volume."""

    __tablename__ = 'snapshots'
    _extra_keys = ['name', 'volume_name']

    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(String(255))
    project_id = Column(String(255))
    volume_id = Column(Integer)
    status = Column(String(255))
    progress = Column(String(255))
    volume_size = Column(Integer)
    display_name = Column(String(255))
    display_description = Column(String(255))

    @property
    def name(self):
        """``--snapshot_name_template % id``."""
        return FLAGS.snapshot_name_template % self.id

    @property
    def volume_name(self):
        """The name of the volume this snapshot was taken of."""
        return FLAGS.volume_name_template % self.volume_id


class BlockDeviceMapping(BASE):
    """How a device of an instance is backed (volume, snapshot, ephemeral)."""

    __tablename__ = 'block_device_mapping'
    id = Column(Integer, primary_key=True, autoincrement=True)
    instance_id = Column(Integer, ForeignKey('instances.id'), nullable=False,
                         index=True)
    instance = relationship(
        'Instance', backref=backref('block_device_mapping'),
        foreign_keys=[instance_id],
        primaryjoin='and_(BlockDeviceMapping.instance_id == Instance.id, '
                    'BlockDeviceMapping.deleted == False)')
    device_name = Column(String(255), nullable=False)
    delete_on_termination = Column(Boolean, default=False)
    virtual_name = Column(String(255), nullable=True)
    snapshot_id = Column(Integer, ForeignKey('snapshots.id'), nullable=True,
                         index=True)
    snapshot = relationship(
        'Snapshot', foreign_keys=[snapshot_id],
        primaryjoin='BlockDeviceMapping.snapshot_id == Snapshot.id')
    volume_id = Column(Integer, ForeignKey('volumes.id'), nullable=True,
                       index=True)
    volume = relationship(
        'Volume', foreign_keys=[volume_id],
        primaryjoin='BlockDeviceMapping.volume_id == Volume.id')
    volume_size = Column(Integer, nullable=True)
    no_device = Column(Boolean, nullable=True)


class ExportDevice(BASE):
    """An AoE export (shelf/blade) of a volume."""

    __tablename__ = 'export_devices'
    id = Column(Integer, primary_key=True)
    shelf_id = Column(Integer)
    blade_id = Column(Integer)
    volume_id = Column(Integer, ForeignKey('volumes.id'), nullable=True,
                       index=True)
    volume = relationship(
        'Volume', backref=backref('export_device', uselist=False),
        foreign_keys=[volume_id],
        primaryjoin='and_(ExportDevice.volume_id == Volume.id, '
                    'ExportDevice.deleted == False)')


class IscsiTarget(BASE):
    """An iSCSI target number on a volume host, and its volume."""

    __tablename__ = 'iscsi_targets'
    id = Column(Integer, primary_key=True)
    target_num = Column(Integer)
    host = Column(String(255))
    volume_id = Column(Integer, ForeignKey('volumes.id'), nullable=True,
                       index=True)
    volume = relationship(
        'Volume', backref=backref('iscsi_target', uselist=False),
        foreign_keys=[volume_id],
        primaryjoin='and_(IscsiTarget.volume_id == Volume.id, '
                    'IscsiTarget.deleted == False)')
