"""Flags of Diablo modules this project does not have (and will not rebuild).

Operators' ``nova.conf`` files name them, and all daemons share one
``nova.conf``, so every daemon must know them, with Diablo's defaults
(reference/flags.md).  None of them changes anything here: set by an
operator, each is named in ONE warning line at start-up
(:mod:`nova.utils.flagcheck`).  They are grouped by the Diablo module (or,
for Diablo's ``nova/flags.py``, the feature) that owned them; ``--help``
shows that too.

Flags of absent features that belonged to a module we do have are DEFINEd
in that module with ``unsupported='<feature>'`` instead of here.

When a module of ours DEFINEs one of these names, it takes the flag over
whatever the import order (see :meth:`nova.flags.FlagValues.define`), and
``tests/unit/test_flags.py`` then asks for the line here to be deleted.

The last group holds flags that Diablo's code no longer defined but the
admin manual's flag tables still document; they carry the manual's defaults.
"""
import os
import socket
import sys

from nova import flags

_NOVA_DIR = os.path.dirname(os.path.abspath(__file__))
_CHECKOUT_DIR = os.path.dirname(_NOVA_DIR)


def _abspath(relative):
    """A path inside the nova package, as Diablo's ``utils.abspath``."""
    return os.path.join(_NOVA_DIR, relative)


def _bin_file(script):
    """Path of one of our scripts: the checkout's bin/ or the installed one."""
    in_checkout = os.path.join(_CHECKOUT_DIR, 'bin', script)
    if os.path.exists(in_checkout):
        return in_checkout
    return os.path.join(os.path.dirname(sys.executable), script)


# -- bin/clear_rabbit_queues ----------------------------------------------
with flags.legacy_module('bin/clear_rabbit_queues'):
    flags.DEFINE_bool('delete_exchange', False,
                      'also delete the exchange when clearing queues')

# -- bin/instance-usage-audit ---------------------------------------------
with flags.legacy_module('bin/instance-usage-audit'):
    flags.DEFINE_string('instance_usage_audit_period', '1m',
                        'period of instance usage audits (e.g. 1m, 1d)')

# -- bin/nova-ajax-console-proxy ------------------------------------------
with flags.legacy_module('bin/nova-ajax-console-proxy'):
    flags.DEFINE_integer('ajax_console_idle_timeout', 300,
                         'seconds before an idle ajax console is closed')

# -- bin/nova-vncproxy -----------------------------------------------------
# (its other flags are nova.vnc.auth's and nova.vnc.proxy's; Diablo's
# token bypass for debugging is not rebuilt.)
with flags.legacy_module('bin/nova-vncproxy'):
    flags.DEFINE_bool('vnc_debug', False, 'print VNC proxy debug output')

# -- nova/api/openstack/__init__.py ---------------------------------------
with flags.legacy_module('nova.api.openstack'):
    flags.DEFINE_bool('allow_admin_api', False,
                      'enable the admin actions of the OpenStack API')
    flags.DEFINE_bool('allow_instance_snapshots', True,
                      'allow snapshots of instances through the OpenStack API')

# -- nova/console/manager.py -----------------------------------------------
with flags.legacy_module('nova.console.manager'):
    flags.DEFINE_string('console_driver', 'nova.console.xvp.XVPConsoleProxy',
                        'driver of the console proxy')
    flags.DEFINE_bool('stub_compute', False,
                      'stub out calls to compute (testing)')
    flags.DEFINE_string('console_public_hostname', socket.gethostname(),
                        'publicly visible name of this console host')

# -- nova/console/vmrc.py --------------------------------------------------
with flags.legacy_module('nova.console.vmrc'):
    flags.DEFINE_integer('console_vmrc_port', 443,
                         'port of the VMware VMRC console')
    flags.DEFINE_integer('console_vmrc_error_retries', 10,
                         'retries to get a VMRC console')

# -- nova/console/xvp.py ---------------------------------------------------
with flags.legacy_module('nova.console.xvp'):
    flags.DEFINE_string('console_xvp_conf_template',
                        _abspath('console/xvp.conf.template'),
                        'template of the XVP configuration file')
    flags.DEFINE_string('console_xvp_conf', '/etc/xvp.conf',
                        'generated XVP configuration file')
    flags.DEFINE_string('console_xvp_pid', '/var/run/xvp.pid',
                        'XVP pid file')
    flags.DEFINE_string('console_xvp_log', '/var/log/xvp.log', 'XVP log file')
    flags.DEFINE_integer('console_xvp_multiplex_port', 5900,
                         'port for XVP to multiplex VNC connections on')

# -- nova/flags.py ---------------------------------------------------------
# Flags Diablo's nova/flags.py owned for features this project lacks (or that
# Diablo itself never read), labelled by feature.
with flags.legacy_module('nova.flags, ajax console proxy'):
    flags.DEFINE_string('ajax_console_proxy_topic', 'ajax_proxy',
                        'queue topic of the ajax console proxy')
    flags.DEFINE_string('ajax_console_proxy_url', 'http://127.0.0.1:8000',
                        'URL of the ajax console proxy')
    flags.DEFINE_string('ajax_console_proxy_port', '8000',
                        'port of the ajax console proxy')
with flags.legacy_module('nova.flags, console proxy'):
    flags.DEFINE_string('console_topic', 'console',
                        'queue topic of the console proxy')
    flags.DEFINE_string('console_manager',
                        'nova.console.manager.ConsoleProxyManager',
                        'manager class of the console proxy')
with flags.legacy_module('nova.flags, VSA'):
    flags.DEFINE_string('vsa_topic', 'vsa', 'queue topic of the VSA service')
    flags.DEFINE_string('vsa_manager', 'nova.vsa.manager.VsaManager',
                        'manager class of the VSA service')
with flags.legacy_module('nova.flags, zones'):
    flags.DEFINE_string('zone_name', 'nova', 'name of this zone')
    flags.DEFINE_list('zone_capabilities',
                      ['hypervisor=xenserver;kvm', 'os=linux;windows'],
                      'key=value;value capabilities of this zone')
    flags.DEFINE_string('build_plan_encryption_key', None,
                        '128-bit (hex) key for encrypting build plans '
                        'between zones')
with flags.legacy_module('nova.flags, notifications'):
    flags.DEFINE_string('notification_driver',
                        'nova.notifier.no_op_notifier',
                        'driver that sends notifications')
    flags.DEFINE_bool('monkey_patch', False,
                      'decorate the modules of --monkey_patch_modules')
    flags.DEFINE_list('monkey_patch_modules',
                      ['nova.api.ec2.cloud:nova.notifier.api.'
                       'notify_decorator',
                       'nova.compute.api:nova.notifier.api.notify_decorator'],
                      'module:decorator pairs applied when --monkey_patch '
                      'is on')
with flags.legacy_module('nova.flags, unused by Diablo'):
    flags.DEFINE_string('default_image', 'ami-11111', 'default image to use')
    flags.DEFINE_string('default_project', 'openstack',
                        'default project name')
    flags.DEFINE_string('aws_access_key_id', 'admin', 'AWS access key id')
    flags.DEFINE_string('aws_secret_access_key', 'admin',
                        'AWS secret access key')

# -- nova/network/quantum/* ------------------------------------------------
with flags.legacy_module('nova.network.quantum.manager'):
    flags.DEFINE_string('quantum_ipam_lib',
                        'nova.network.quantum.nova_ipam_lib',
                        'IP address management library for Quantum')
with flags.legacy_module('nova.network.quantum.melange_connection'):
    flags.DEFINE_string('melange_host', '127.0.0.1', 'Melange server host')
    flags.DEFINE_string('melange_port', '9898', 'Melange server port')
with flags.legacy_module('nova.network.quantum.quantum_connection'):
    flags.DEFINE_string('quantum_connection_host', '127.0.0.1',
                        'Quantum server host')
    flags.DEFINE_string('quantum_connection_port', '9696',
                        'Quantum server port')
    flags.DEFINE_string('quantum_default_tenant_id', 'default',
                        'default Quantum tenant id')

# -- nova/notifier/* -------------------------------------------------------
with flags.legacy_module('nova.notifier.api'):
    flags.DEFINE_string('default_notification_level', 'INFO',
                        'notification priority when none is given')
    # Diablo read FLAGS.host once at import; a template follows --host.
    flags.DEFINE_string('default_publisher_id', '$host',
                        'publisher id when none is given')
with flags.legacy_module('nova.notifier.list_notifier'):
    flags.DEFINE_multistring('list_notifier_drivers',
                             ['nova.notifier.no_op_notifier'],
                             'notification drivers the list notifier calls')
with flags.legacy_module('nova.notifier.rabbit_notifier'):
    flags.DEFINE_string('notification_topic', 'notifications',
                        'topic notifications are sent to')

# -- nova/scheduler/* ------------------------------------------------------
with flags.legacy_module('nova.scheduler.zone_manager'):
    flags.DEFINE_integer('zone_db_check_interval', 60,
                         'seconds between checks of the zones table')
    flags.DEFINE_integer('zone_failures_to_offline', 3,
                         'failed polls before a child zone is offline')

# -- nova/test.py (Diablo's test base; still read from nova.conf) ----------
with flags.legacy_module('nova.test'):
    flags.DEFINE_bool('fake_tests', True, 'run the tests with fakes')
    flags.DEFINE_string('sqlite_clean_db', 'clean.sqlite',
                        'file name of the clean test database')

# -- nova/virt/vmwareapi* --------------------------------------------------
with flags.legacy_module('nova.virt.vmwareapi.vim'):
    flags.DEFINE_string('vmwareapi_wsdl_loc', None,
                        'location of the VIM service WSDL')
with flags.legacy_module('nova.virt.vmwareapi.vmops'):
    flags.DEFINE_string('vmware_vif_driver',
                        'nova.virt.vmwareapi.vif.VMWareVlanBridgeDriver',
                        'VMware VIF driver')
with flags.legacy_module('nova.virt.vmwareapi_conn'):
    flags.DEFINE_string('vmwareapi_host_ip', None,
                        'address of the ESX host (connection_type=vmwareapi)')
    flags.DEFINE_string('vmwareapi_host_username', None, 'ESX user name')
    flags.DEFINE_string('vmwareapi_host_password', None, 'ESX password')
    flags.DEFINE_float('vmwareapi_task_poll_interval', 5.0,
                       'seconds between polls of remote ESX tasks')
    flags.DEFINE_float('vmwareapi_api_retry_count', 10,
                       'retries of an ESX API call')
    flags.DEFINE_string('vmwareapi_vlan_interface', 'vmnic0',
                        'physical adapter used for VLAN networking')

# -- nova/virt/xenapi* -----------------------------------------------------
with flags.legacy_module('nova.virt.xenapi.vif'):
    flags.DEFINE_string('xenapi_ovs_integration_bridge', 'xapi1',
                        'XenServer bridge of the OVS integration')
with flags.legacy_module('nova.virt.xenapi.vm_utils'):
    flags.DEFINE_string('default_os_type', 'linux', 'default guest OS type')
    flags.DEFINE_integer('block_device_creation_timeout', 10,
                         'seconds to wait for a block device')
    flags.DEFINE_integer('max_kernel_ramdisk_size', 16 * 1024 * 1024,
                         'largest kernel or ramdisk image, in bytes')
with flags.legacy_module('nova.virt.xenapi.vmops'):
    flags.DEFINE_integer('windows_version_timeout', 300,
                         'seconds to wait for a Windows guest agent')
    flags.DEFINE_string('xenapi_vif_driver',
                        'nova.virt.xenapi.vif.XenAPIBridgeDriver',
                        'XenAPI VIF driver')
with flags.legacy_module('nova.virt.xenapi_conn'):
    flags.DEFINE_string('xenapi_connection_url', None,
                        'URL of the XenServer host '
                        '(connection_type=xenapi)')
    flags.DEFINE_string('xenapi_connection_username', 'root',
                        'XenServer user name')
    flags.DEFINE_string('xenapi_connection_password', None,
                        'XenServer password')
    flags.DEFINE_float('xenapi_task_poll_interval', 0.5,
                       'seconds between polls of XenServer tasks')
    flags.DEFINE_integer('xenapi_vhd_coalesce_max_attempts', 5,
                         'attempts to wait for a VHD coalesce')
    flags.DEFINE_float('xenapi_vhd_coalesce_poll_interval', 5.0,
                       'seconds between polls of a VHD coalesce')
    flags.DEFINE_string('xenapi_agent_path', 'usr/sbin/xe-update-networking',
                        'path of the guest agent inside the image')
    flags.DEFINE_string('xenapi_sr_base_path', '/var/run/sr-mount',
                        'base path of the storage repositories')
    flags.DEFINE_integer('xenapi_login_timeout', 10,
                         'seconds to wait for a XenServer login')
    flags.DEFINE_bool('xenapi_remap_vbd_dev', False,
                      'remap VBD devices (Ubuntu Maverick guests)')
    flags.DEFINE_string('xenapi_remap_vbd_dev_prefix', 'sd',
                        'prefix of remapped VBD devices')
    flags.DEFINE_string('target_host', None, 'iSCSI target host')
    flags.DEFINE_string('target_port', '3260', 'iSCSI target port')
    flags.DEFINE_string('iqn_prefix', 'iqn.2010-10.org.openstack',
                        'IQN prefix of iSCSI targets')

# -- nova/volume/san.py ----------------------------------------------------
with flags.legacy_module('nova.volume.san'):
    flags.DEFINE_bool('san_thin_provision', True,
                      'use thin provisioning for SAN volumes')
    flags.DEFINE_string('san_ip', '', 'IP address of the SAN controller')
    flags.DEFINE_string('san_login', 'admin', 'user name of the SAN')
    flags.DEFINE_string('san_password', '', 'password of the SAN')
    flags.DEFINE_string('san_privatekey', '',
                        'private key file for SSH to the SAN')
    flags.DEFINE_string('san_clustername', '', 'cluster name of the SAN')
    flags.DEFINE_integer('san_ssh_port', 22, 'SSH port of the SAN')

# -- nova/vsa/* ------------------------------------------------------------
with flags.legacy_module('nova.vsa.api'):
    flags.DEFINE_string('vsa_ec2_access_key', None,
                        'EC2 access key used by VSA for its instances')
    flags.DEFINE_string('vsa_ec2_user_id', None,
                        'user id used by VSA for its instances')
    flags.DEFINE_bool('vsa_multi_vol_creation', True,
                      'create VSA volumes in one request')
    flags.DEFINE_string('vsa_volume_type_name', 'VSA volume type',
                        'name of the VSA volume type')
with flags.legacy_module('nova.vsa.manager'):
    flags.DEFINE_string('vsa_driver', 'nova.vsa.connection.get_connection',
                        'driver of VSA')

# -- from the admin manual's flag tables -----------------------------------
# Not DEFINEd by Diablo 2011.3's code any more, but documented in the admin
# manual's tables (so found in operators' nova.conf); the manual's defaults.
with flags.legacy_module('admin manual'):
    flags.DEFINE_string('ec2_url', None,
                        'deprecated: URL of the EC2 API, e.g. '
                        'http://184.106.239.134:8773/services/Cloud')
    flags.DEFINE_bool('allow_project_net_traffic', True,
                      'allow traffic between instances of one project')
    flags.DEFINE_string('flat_network_dhcp_start', '10.0.0.2',
                        'first address FlatDHCP hands out')
    flags.DEFINE_string('pidfile', '',
                        'pid file of this service')
    flags.DEFINE_bool('use_s3', True,
                      'get images from S3 rather than a local copy')
