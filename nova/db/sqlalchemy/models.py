"""SQLAlchemy models of Diablo's 38 tables, one module per area.

``from nova.db.sqlalchemy import models; models.Instance`` keeps working as
in Diablo: this module re-exports every model and the declarative
:data:`BASE` whose ``metadata`` describes the whole schema.
"""

from nova.db.sqlalchemy import models_base
from nova.db.sqlalchemy.models_base import (BASE, NAMING_CONVENTION,  # noqa
                                            NovaBase, table_args)
from nova.db.sqlalchemy.models_auth import (AuthToken, Certificate,  # noqa
                                            KeyPair, Project, Quota, User,
                                            UserProjectAssociation,
                                            UserProjectRoleAssociation,
                                            UserRoleAssociation)
from nova.db.sqlalchemy.models_compute import (AgentBuild, ComputeNode,  # noqa
                                               Console, ConsolePool, Instance,
                                               InstanceActions,
                                               InstanceFault,
                                               InstanceMetadata,
                                               InstanceTypeExtraSpecs,
                                               InstanceTypes, Migration,
                                               Service, VirtualStorageArray,
                                               Zone)
from nova.db.sqlalchemy.models_network import (FixedIp, FloatingIp,  # noqa
                                               Network,
                                               ProviderFirewallRule,
                                               SecurityGroup,
                                               SecurityGroupIngressRule,
                                               SecurityGroupInstanceAssociation,
                                               VirtualInterface)
from nova.db.sqlalchemy.models_outbox import OutboxMessage  # noqa: F401
from nova.db.sqlalchemy.models_volume import (BlockDeviceMapping,  # noqa
                                              ExportDevice, IscsiTarget,
                                              Snapshot, Volume, VolumeMetadata,
                                              VolumeTypeExtraSpecs,
                                              VolumeTypes)
from nova.db.sqlalchemy.models_tag import Tag  # noqa


def all_models():
    """Every mapped model class, sorted by table name."""
    return sorted((mapper.class_ for mapper in BASE.registry.mappers),
                  key=lambda cls: cls.__tablename__)


def register_models(engine):
    """Create all tables directly (tests only; use db_sync otherwise)."""
    if engine.dialect.name in ('mysql', 'mariadb'):
        for table in BASE.metadata.sorted_tables:
            table.dialect_kwargs.update(models_base.MYSQL_TABLE_ARGS)
    BASE.metadata.create_all(engine)


def unregister_models(engine):
    """Drop all tables (tests only)."""
    BASE.metadata.drop_all(engine)
