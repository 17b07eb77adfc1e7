"""EC2 admin StartVpn / DescribeVpns (the cloudpipe) at /services/Admin."""

from nova import context
from nova import db


def _admin(ec2, action, params=None):
    return ec2.call(action, params or {}, user='admin', project='admin',
                    path='/services/Admin/')


def test_start_vpn_errors_are_ec2_errors(ec2, set_flags):
    result = _admin(ec2, 'StartVpn')
    assert result.status == 400 and b'MissingParameter' in result.body
    result = _admin(ec2, 'StartVpn', {'Project': 'nosuch'})
    assert result.status == 400 and b'<Code>ProjectNotFound<' in result.body
    assert b'Project nosuch could not be found' in result.body
    set_flags(vpn_image_id='0')
    result = _admin(ec2, 'StartVpn', {'Project': 'proj'})
    assert result.status == 400, result.body
    assert b'--vpn_image_id is not set' in result.body
    assert b'Traceback' not in result.body


def test_start_vpn_answers_the_running_one(ec2, set_flags):
    set_flags(vpn_image_id='7')
    ctxt = context.RequestContext('alice', 'proj')
    instance = db.instance_create(ctxt, {
        'project_id': 'proj', 'user_id': 'alice', 'image_ref': '7',
        'vm_state': 'active'})
    result = _admin(ec2, 'StartVpn', {'Project': 'proj'})
    assert result.status == 200, result.body
    assert ('<instanceId>i-%08x</instanceId>' % instance['id']).encode() \
        in result.body


def test_describe_vpns(ec2, set_flags):
    set_flags(vpn_image_id='7')
    result = _admin(ec2, 'DescribeVpns')
    assert result.status == 200, result.body
    assert b'<projectId>proj</projectId>' in result.body
    assert b'<state>pending</state>' in result.body
    ctxt = context.RequestContext('alice', 'proj')
    db.instance_create(ctxt, {'project_id': 'proj', 'user_id': 'alice',
                              'image_ref': '7', 'vm_state': 'active'})
    result = _admin(ec2, 'DescribeVpns')
    assert b'<state>down - invalid project vpn config</state>' \
        in result.body
