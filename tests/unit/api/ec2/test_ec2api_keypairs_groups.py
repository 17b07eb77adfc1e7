"""Key pairs, security groups, zones, regions, account attributes."""

import base64

from nova import crypto


def test_keypair_lifecycle(ec2):
    result = ec2.call('CreateKeyPair', {'KeyName': 'mykey'})
    assert result.status == 200, result.body
    parsed = result.parsed
    assert parsed['KeyName'] == 'mykey'
    assert parsed['KeyMaterial'].startswith('-----BEGIN')
    assert parsed['KeyFingerprint'].count(':') == 15
    dup = ec2.call('CreateKeyPair', {'KeyName': 'mykey'})
    assert dup.status == 400 and dup.error_code == 'InvalidKeyPair.Duplicate'

    listed = ec2.call('DescribeKeyPairs').parsed['KeyPairs']
    assert [k['KeyName'] for k in listed] == ['mykey']
    missing = ec2.call('DescribeKeyPairs', {'KeyName.1': 'nope'})
    assert missing.error_code == 'InvalidKeyPair.NotFound'
    filtered = ec2.call('DescribeKeyPairs', {'Filter.1.Name': 'key-name',
                                             'Filter.1.Value.1': 'my*'})
    assert len(filtered.parsed['KeyPairs']) == 1
    bad = ec2.call('DescribeKeyPairs', {'Filter.1.Name': 'color',
                                        'Filter.1.Value.1': 'red'})
    assert bad.error_code == 'InvalidParameterValue'
    # Key pairs belong to their user.
    assert ec2.call('DescribeKeyPairs', user='bob').parsed['KeyPairs'] == []

    assert ec2.call('DeleteKeyPair', {'KeyName': 'mykey'}).parsed[
        'ResponseMetadata']
    assert ec2.call('DeleteKeyPair', {'KeyName': 'mykey'}).status == 200
    assert ec2.call('DescribeKeyPairs').parsed['KeyPairs'] == []


def test_import_key_pair_modern_and_diablo(ec2):
    _private, public, fingerprint = crypto.generate_key_pair(1024)
    material = base64.b64encode(public.encode()).decode()
    result = ec2.call('ImportKeyPair', {'KeyName': 'imp',
                                        'PublicKeyMaterial': material})
    assert result.status == 200, result.body
    assert result.parsed['KeyFingerprint'] == fingerprint
    result = ec2.call('ImportPublicKey', {'KeyName': 'old',
                                          'PublicKey': public})
    assert result.status == 200, result.body
    bad = ec2.call('ImportKeyPair', {'KeyName': 'bad',
                                     'PublicKeyMaterial': 'bm90IGEga2V5'})
    assert bad.error_code == 'InvalidKey.Format'
    garbled = base64.b64encode(b'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQ== x')
    bad = ec2.call('ImportKeyPair', {'KeyName': 'bad',
                                     'PublicKeyMaterial': garbled.decode()})
    assert bad.error_code == 'InvalidKey.Format'
    names = [k['KeyName'] for k in ec2.call('DescribeKeyPairs').parsed[
        'KeyPairs']]
    assert names == ['imp', 'old']


def _groups(ec2, **params):
    return ec2.call('DescribeSecurityGroups', params).parsed[
        'SecurityGroups']


def test_security_groups(ec2):
    groups = _groups(ec2)
    assert [g['GroupName'] for g in groups] == ['default']
    assert groups[0]['OwnerId'] == 'proj'
    result = ec2.call('CreateSecurityGroup', {'GroupName': 'web',
                                              'GroupDescription': 'Web'})
    assert result.status == 200, result.body
    group_id = result.parsed['GroupId']
    assert group_id.startswith('sg-')
    dup = ec2.call('CreateSecurityGroup', {'GroupName': 'web',
                                           'GroupDescription': 'Web'})
    assert dup.error_code == 'InvalidGroup.Duplicate'

    # Old flat form.
    result = ec2.call('AuthorizeSecurityGroupIngress', {
        'GroupName': 'web', 'IpProtocol': 'tcp', 'FromPort': '80',
        'ToPort': '80', 'CidrIp': '0.0.0.0/0'})
    assert result.status == 200, result.body
    # IpPermissions form, with a CIDR and a source group, by group id.
    result = ec2.call('AuthorizeSecurityGroupIngress', {
        'GroupId': group_id,
        'IpPermissions.1.IpProtocol': 'tcp',
        'IpPermissions.1.FromPort': '22', 'IpPermissions.1.ToPort': '22',
        'IpPermissions.1.IpRanges.1.CidrIp': '10.0.0.0/8',
        'IpPermissions.2.IpProtocol': 'icmp',
        'IpPermissions.2.FromPort': '-1', 'IpPermissions.2.ToPort': '-1',
        'IpPermissions.2.Groups.1.GroupName': 'default'})
    assert result.status == 200, result.body
    dup = ec2.call('AuthorizeSecurityGroupIngress', {
        'GroupName': 'web', 'IpProtocol': 'tcp', 'FromPort': '80',
        'ToPort': '80', 'CidrIp': '0.0.0.0/0'})
    assert dup.error_code == 'InvalidPermission.Duplicate'
    for bad in ({'IpProtocol': 'gre', 'FromPort': '1', 'ToPort': '2'},
                {'IpProtocol': 'tcp', 'FromPort': '90', 'ToPort': '80'},
                {'IpProtocol': 'tcp', 'FromPort': '1', 'ToPort': '99999'},
                {'IpProtocol': 'tcp', 'FromPort': '1', 'ToPort': '2',
                 'CidrIp': '300.1.1.1/8'}):
        params = dict(bad, GroupName='web')
        result = ec2.call('AuthorizeSecurityGroupIngress', params)
        assert result.error_code == 'InvalidParameterValue', bad
    missing = ec2.call('AuthorizeSecurityGroupIngress', {
        'GroupName': 'nope', 'IpProtocol': 'tcp', 'FromPort': '1',
        'ToPort': '2'})
    assert missing.error_code == 'InvalidGroup.NotFound'

    web = _groups(ec2, **{'GroupName.1': 'web'})[0]
    perms = sorted((p['IpProtocol'], p.get('FromPort'), p.get('ToPort'),
                    tuple(r['CidrIp'] for r in p['IpRanges']),
                    tuple(g['GroupName'] for g in p['UserIdGroupPairs']))
                   for p in web['IpPermissions'])
    assert perms == [('icmp', -1, -1, (), ('default',)),
                     ('tcp', 22, 22, ('10.0.0.0/8',), ()),
                     ('tcp', 80, 80, ('0.0.0.0/0',), ())]
    by_filter = _groups(ec2, **{'Filter.1.Name': 'group-name',
                                'Filter.1.Value.1': 'we*'})
    assert [g['GroupName'] for g in by_filter] == ['web']

    result = ec2.call('RevokeSecurityGroupIngress', {
        'GroupName': 'web', 'IpProtocol': 'tcp', 'FromPort': '80',
        'ToPort': '80', 'CidrIp': '0.0.0.0/0'})
    assert result.status == 200, result.body
    again = ec2.call('RevokeSecurityGroupIngress', {
        'GroupName': 'web', 'IpProtocol': 'tcp', 'FromPort': '80',
        'ToPort': '80', 'CidrIp': '0.0.0.0/0'})
    # EC2-classic: revoking a rule that is not there succeeds (issue 14).
    assert again.status == 200 and again.error_code is None, again.body

    # Another project never sees these groups.
    other = ec2.call('DescribeSecurityGroups', user='admin',
                     project='admin').parsed['SecurityGroups']
    assert [g['GroupName'] for g in other] == ['default']
    cross = ec2.call('DeleteSecurityGroup', {'GroupId': group_id},
                     user='admin', project='admin')
    assert cross.status == 200  # admins may act on any project's group
    assert ec2.call('DescribeSecurityGroups', {'GroupName.1': 'web'}
                    ).error_code == 'InvalidGroup.NotFound'
    assert ec2.call('DeleteSecurityGroup', {'GroupName': 'default'}
                    ).error_code == 'CannotDelete'
    assert ec2.call('DeleteSecurityGroup', {'GroupName': 'nope'}
                    ).error_code == 'InvalidGroup.NotFound'
    assert ec2.call('DeleteSecurityGroup').error_code == 'MissingParameter'


def test_create_group_bad_names(ec2):
    result = ec2.call('CreateSecurityGroup', {'GroupName': 'x' * 256,
                                              'GroupDescription': 'd'})
    assert result.error_code == 'InvalidParameterValue'
    result = ec2.call('CreateSecurityGroup', {'GroupName': 'x'})
    assert result.error_code == 'MissingParameter'


def test_zones_regions_account(ec2, set_flags):
    from nova import db
    from nova import context
    ctxt = context.get_admin_context()
    db.service_create(ctxt, {'host': 'h1', 'binary': 'nova-compute',
                             'topic': 'compute', 'report_count': 0,
                             'availability_zone': 'nova'})
    db.service_create(ctxt, {'host': 'h2', 'binary': 'nova-compute',
                             'topic': 'compute', 'report_count': 0,
                             'availability_zone': 'zone2',
                             'disabled': True})
    zones = ec2.call('DescribeAvailabilityZones').parsed[
        'AvailabilityZones']
    assert [(z['ZoneName'], z['State']) for z in zones] == [
        ('nova', 'available'), ('zone2', 'not available')]
    verbose = ec2.call('DescribeAvailabilityZones', {'ZoneName.1': 'verbose'},
                       user='admin', project='admin')
    names = [z['ZoneName'] for z in verbose.parsed['AvailabilityZones']]
    assert '|- h1' in names and '| |- nova-compute' in names
    states = [z['State'] for z in verbose.parsed['AvailabilityZones']]
    assert any(':-)' in s or 'XXX' in s for s in states)

    set_flags(region_list=['east=10.0.0.1', 'west=10.0.0.2'])
    regions = ec2.call('DescribeRegions').parsed['Regions']
    assert [r['RegionName'] for r in regions] == ['east', 'west']
    assert regions[0]['Endpoint'] == 'http://10.0.0.1:8773/services/Cloud'

    attrs = ec2.call('DescribeAccountAttributes').parsed['AccountAttributes']
    by_name = {a['AttributeName']: [v['AttributeValue']
                                    for v in a['AttributeValues']]
               for a in attrs}
    assert by_name['supported-platforms'] == ['EC2']
    assert by_name['max-instances'] == ['10']
