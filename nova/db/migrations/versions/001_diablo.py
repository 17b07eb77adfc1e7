"""The whole Nova 2011.3 (Diablo) schema, and the default flavors.

Revision ID: 001_diablo
Revises:
Create Date: 2011-09-22

Every table is spelled out here (not derived from the models) so that the
schema stays fixed whatever the models later become.  Constraint and index
names are explicit and identical on SQLite, MySQL and PostgreSQL; every
foreign-key column is indexed (MySQL would otherwise add its own index).
"""

import datetime

from alembic import op
import sqlalchemy as sa

revision = '001_diablo'
down_revision = None
branch_labels = None
depends_on = None

MYSQL_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}

# name, memory_mb, vcpus, local_gb, flavorid
DEFAULT_FLAVORS = [
    ('m1.tiny', 512, 1, 0, 1),
    ('m1.small', 2048, 1, 20, 2),
    ('m1.medium', 4096, 2, 40, 3),
    ('m1.large', 8192, 4, 80, 4),
    ('m1.xlarge', 16384, 8, 160, 5),
]

# Creation order (foreign keys first); downgrade drops in reverse.
TABLE_NAMES = [
    'services', 'compute_nodes', 'instance_types', 'instances',
    'virtual_storage_arrays', 'instance_actions',
    'volumes', 'volume_metadata', 'volume_types', 'volume_type_extra_specs',
    'quotas', 'snapshots', 'block_device_mapping', 'export_devices',
    'iscsi_targets',
    'security_groups', 'security_group_instance_association',
    'security_group_rules', 'provider_fw_rules', 'key_pairs', 'migrations',
    'networks', 'virtual_interfaces', 'fixed_ips', 'floating_ips',
    'auth_tokens', 'users', 'projects', 'user_project_role_association',
    'user_role_association', 'user_project_association',
    'console_pools', 'consoles', 'instance_metadata',
    'instance_type_extra_specs', 'zones', 'agent_builds', 'certificates',
]


def _str(name, length=255, **kwargs):
    return sa.Column(name, sa.String(length), **kwargs)


def _int(name, **kwargs):
    return sa.Column(name, sa.Integer, **kwargs)


def _bool(name, **kwargs):
    return sa.Column(name, sa.Boolean, **kwargs)


def _text(name, **kwargs):
    return sa.Column(name, sa.Text, **kwargs)


def _time(name):
    return sa.Column(name, sa.DateTime)


def _id():
    return sa.Column('id', sa.Integer, primary_key=True, nullable=False)


def _create(name, *columns, fks=(), uniques=(), indexes=()):
    """Create a table with the base columns, named FKs, uniques, indexes.

    ``fks`` is a list of ``(column, 'table.column')``.
    """
    items = [_time('created_at'), _time('updated_at'), _time('deleted_at'),
             _bool('deleted')]
    items.extend(columns)
    for column, target in fks:
        items.append(sa.ForeignKeyConstraint(
            [column], [target], name='fk_%s_%s' % (name, column)))
    for column in uniques:
        items.append(sa.UniqueConstraint(
            column, name='uniq_%s_%s' % (name, column)))
    table = op.create_table(name, *items, **MYSQL_OPTIONS)
    for column in [fk[0] for fk in fks] + list(indexes):
        op.create_index('ix_%s_%s' % (name, column), name, [column])
    return table


def _create_compute():
    _create('services', _id(), _str('host'), _str('binary'), _str('topic'),
            _int('report_count', nullable=False), _bool('disabled'),
            _str('availability_zone'))
    _create('compute_nodes', _id(), _int('service_id'), _int('vcpus'),
            _int('memory_mb'), _int('local_gb'), _int('vcpus_used'),
            _int('memory_mb_used'), _int('local_gb_used'),
            _text('hypervisor_type'), _int('hypervisor_version'),
            _text('cpu_info'),
            fks=[('service_id', 'services.id')])
    flavors = _create(
        'instance_types', _id(), _str('name'), _int('memory_mb'),
        _int('vcpus'), _int('local_gb'), _int('flavorid'),
        _int('swap', nullable=False), _int('rxtx_quota', nullable=False),
        _int('rxtx_cap', nullable=False),
        uniques=['name', 'flavorid'])
    _create('instances', _id(), _str('user_id'), _str('project_id'),
            _str('image_ref'), _str('kernel_id'), _str('ramdisk_id'),
            _str('server_name'), _int('launch_index'), _str('key_name'),
            _text('key_data'), _int('power_state'), _str('vm_state'),
            _str('task_state'), _int('memory_mb'), _int('vcpus'),
            _int('local_gb'), _str('hostname'), _str('host'),
            _int('instance_type_id'), _text('user_data'),
            _str('reservation_id'), _time('scheduled_at'),
            _time('launched_at'), _time('terminated_at'),
            _str('availability_zone'), _str('display_name'),
            _str('display_description'), _text('launched_on'),
            _bool('locked'), _str('os_type'), _str('architecture'),
            _str('vm_mode'), _str('uuid', 36), _str('root_device_name'),
            _str('default_local_device'), _str('default_swap_device'),
            _str('config_drive'), _str('access_ip_v4'), _str('access_ip_v6'),
            uniques=['uuid'])
    _create('virtual_storage_arrays', _id(), _str('display_name'),
            _str('display_description'), _str('project_id'),
            _str('availability_zone'), _int('instance_type_id'),
            _str('image_ref'), _int('vc_count'), _int('vol_count'),
            _str('status'),
            fks=[('instance_type_id', 'instance_types.id')])
    _create('instance_actions', _id(), _int('instance_id'), _str('action'),
            _text('error'),
            fks=[('instance_id', 'instances.id')])
    return flavors


def _create_volume():
    _create('volumes', _id(), _str('user_id'), _str('project_id'),
            _str('snapshot_id'), _str('host'), _int('size'),
            _str('availability_zone'), _int('instance_id'),
            _str('mountpoint'), _str('attach_time'), _str('status'),
            _str('attach_status'), _time('scheduled_at'),
            _time('launched_at'), _time('terminated_at'),
            _str('display_name'), _str('display_description'),
            _str('provider_location'), _str('provider_auth'),
            _int('volume_type_id'),
            fks=[('instance_id', 'instances.id')])
    _create('volume_metadata', _id(), _str('key'), _str('value'),
            _int('volume_id', nullable=False),
            fks=[('volume_id', 'volumes.id')])
    _create('volume_types', _id(), _str('name'), uniques=['name'])
    _create('volume_type_extra_specs', _id(), _str('key'), _str('value'),
            _int('volume_type_id', nullable=False),
            fks=[('volume_type_id', 'volume_types.id')])
    _create('quotas', _id(), _str('project_id'), _str('resource'),
            _int('hard_limit'), indexes=['project_id'])
    _create('snapshots', _id(), _str('user_id'), _str('project_id'),
            _int('volume_id'), _str('status'), _str('progress'),
            _int('volume_size'), _str('display_name'),
            _str('display_description'))
    _create('block_device_mapping', _id(),
            _int('instance_id', nullable=False),
            _str('device_name', nullable=False),
            _bool('delete_on_termination'), _str('virtual_name'),
            _int('snapshot_id'), _int('volume_id'), _int('volume_size'),
            _bool('no_device'),
            fks=[('instance_id', 'instances.id'),
                 ('snapshot_id', 'snapshots.id'),
                 ('volume_id', 'volumes.id')])
    _create('export_devices', _id(), _int('shelf_id'), _int('blade_id'),
            _int('volume_id'), fks=[('volume_id', 'volumes.id')])
    _create('iscsi_targets', _id(), _int('target_num'), _str('host'),
            _int('volume_id'), fks=[('volume_id', 'volumes.id')])


def _create_network():
    _create('security_groups', _id(), _str('name'), _str('description'),
            _str('user_id'), _str('project_id'))
    _create('security_group_instance_association', _id(),
            _int('security_group_id'), _int('instance_id'),
            fks=[('security_group_id', 'security_groups.id'),
                 ('instance_id', 'instances.id')])
    _create('security_group_rules', _id(), _int('parent_group_id'),
            _str('protocol', 5), _int('from_port'), _int('to_port'),
            _str('cidr'), _int('group_id'),
            fks=[('parent_group_id', 'security_groups.id'),
                 ('group_id', 'security_groups.id')])
    _create('provider_fw_rules', _id(), _str('protocol', 5),
            _int('from_port'), _int('to_port'), _str('cidr'))
    _create('key_pairs', _id(), _str('name'), _str('user_id'),
            _str('fingerprint'), _text('public_key'))
    _create('migrations', _id(), _str('source_compute'),
            _str('dest_compute'), _str('dest_host'),
            _int('old_instance_type_id'), _int('new_instance_type_id'),
            _str('instance_uuid'), _str('status'),
            fks=[('instance_uuid', 'instances.uuid')])
    _create('networks', _id(), _str('label'), _bool('injected'),
            _str('cidr'), _str('cidr_v6'), _bool('multi_host'),
            _str('gateway_v6'), _str('netmask_v6'), _str('netmask'),
            _str('bridge'), _str('bridge_interface'), _str('gateway'),
            _str('broadcast'), _str('dns1'), _str('dns2'), _int('vlan'),
            _str('vpn_public_address'), _int('vpn_public_port'),
            _str('vpn_private_address'), _str('dhcp_start'),
            _str('project_id'), _int('priority'), _str('host'),
            _str('uuid', 36),
            uniques=['cidr', 'cidr_v6'])
    _create('virtual_interfaces', _id(), _str('address'),
            _int('network_id'), _int('instance_id', nullable=False),
            _str('uuid', 36),
            fks=[('network_id', 'networks.id'),
                 ('instance_id', 'instances.id')],
            uniques=['address'])
    _create('fixed_ips', _id(), _str('address'), _int('network_id'),
            _int('virtual_interface_id'), _int('instance_id'),
            _bool('allocated'), _bool('leased'), _bool('reserved'),
            _str('host'),
            fks=[('network_id', 'networks.id'),
                 ('virtual_interface_id', 'virtual_interfaces.id'),
                 ('instance_id', 'instances.id')])
    _create('floating_ips', _id(), _str('address'), _int('fixed_ip_id'),
            _str('project_id'), _str('host'),
            _bool('auto_assigned', nullable=False),
            fks=[('fixed_ip_id', 'fixed_ips.id')])


def _create_auth():
    _create('auth_tokens',
            _str('token_hash', primary_key=True, nullable=False),
            _str('user_id'), _str('server_management_url'),
            _str('storage_url'), _str('cdn_management_url'))
    _create('users', _str('id', primary_key=True, nullable=False),
            _str('name'), _str('access_key'), _str('secret_key'),
            _bool('is_admin'))
    _create('projects', _str('id', primary_key=True, nullable=False),
            _str('name'), _str('description'), _str('project_manager'),
            fks=[('project_manager', 'users.id')])
    _create('user_project_role_association',
            _str('user_id', primary_key=True, nullable=False),
            _str('project_id', primary_key=True, nullable=False),
            _str('role', primary_key=True, nullable=False))
    _create('user_role_association',
            _str('user_id', primary_key=True, nullable=False),
            _str('role', primary_key=True, nullable=False),
            fks=[('user_id', 'users.id')])
    _create('user_project_association',
            _str('user_id', primary_key=True, nullable=False),
            _str('project_id', primary_key=True, nullable=False),
            fks=[('user_id', 'users.id'), ('project_id', 'projects.id')])


def _create_misc():
    _create('console_pools', _id(), _str('address'), _str('username'),
            _str('password'), _str('console_type'), _str('public_hostname'),
            _str('host'), _str('compute_host'))
    _create('consoles', _id(), _str('instance_name'), _int('instance_id'),
            _str('password'), _int('port'), _int('pool_id'),
            fks=[('pool_id', 'console_pools.id')])
    _create('instance_metadata', _id(), _str('key'), _str('value'),
            _int('instance_id', nullable=False),
            fks=[('instance_id', 'instances.id')])
    _create('instance_type_extra_specs', _id(), _str('key'), _str('value'),
            _int('instance_type_id', nullable=False),
            fks=[('instance_type_id', 'instance_types.id')])
    _create('zones', _id(), _str('api_url'), _str('username'),
            _str('password'), sa.Column('weight_offset', sa.Float),
            sa.Column('weight_scale', sa.Float))
    _create('agent_builds', _id(), _str('hypervisor'), _str('os'),
            _str('architecture'), _str('version'), _str('url'),
            _str('md5hash'))
    _create('certificates', _id(), _str('user_id'), _str('project_id'),
            _str('file_name'))


def _seed_flavors(flavors):
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    op.bulk_insert(flavors, [
        {'created_at': now, 'deleted': False, 'name': name,
         'memory_mb': memory, 'vcpus': vcpus, 'local_gb': local_gb,
         'flavorid': flavorid, 'swap': 0, 'rxtx_quota': 0, 'rxtx_cap': 0}
        for name, memory, vcpus, local_gb, flavorid in DEFAULT_FLAVORS])


def upgrade():
    """Create the 38 tables of Diablo and seed the default flavors."""
    flavors = _create_compute()
    _create_volume()
    _create_network()
    _create_auth()
    _create_misc()
    _seed_flavors(flavors)


def downgrade():
    """Drop every table this revision created."""
    for name in reversed(TABLE_NAMES):
        op.drop_table(name)
