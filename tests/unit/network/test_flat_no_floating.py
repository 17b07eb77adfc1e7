"""FlatManager has no floating IPs: AllocateAddress gets a clear EC2 error."""

import pytest

from nova import context
from nova import exception
from nova.api.ec2 import faults
from nova.network import manager
from nova.rpc import common


def test_flat_manager_refuses_floating_ips_clearly():
    flat = manager.FlatManager.__new__(manager.FlatManager)
    ctxt = context.get_admin_context()
    for method in (flat.allocate_floating_ip, flat.associate_floating_ip,
                   flat.disassociate_floating_ip):
        with pytest.raises(exception.FloatingIpsUnsupported) as caught:
            method(ctxt, 'project')
        assert 'FlatDHCPManager' in str(caught.value)


def test_the_remote_error_is_an_ec2_client_error():
    remote = common.RemoteError('FloatingIpsUnsupported',
                                'Floating IPs need ...', '')
    status, code, _message = faults.ec2_error(remote)
    assert (status, code) == (400, 'UnsupportedOperation')
