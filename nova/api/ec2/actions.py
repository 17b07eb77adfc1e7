"""The EC2 actions this cloud dispatches: a declared list, nothing else.

A controller method is an action only when its name is listed here *and*
the controller implements it; internal helpers (``FormatImage``,
``GetImage``, ...) are never callable, whatever their name.  A listed
action a controller lacks answers ``UnsupportedOperation``; anything else
``InvalidAction``.  The lists hold Diablo's actions (``ec2-actions.md``, plus
Diablo's ``DescribeUser``/``DescribeUsers`` admin actions) and the EC2
actions this project adds.  Add an action here when you implement it.
"""

#: Actions of the CloudController (``/services/Cloud``).
CLOUD_ACTIONS = frozenset([
    # Diablo's CloudController
    'DescribeAvailabilityZones', 'DescribeRegions', 'DescribeSnapshots',
    'CreateSnapshot', 'DeleteSnapshot', 'DescribeKeyPairs', 'CreateKeyPair',
    'ImportPublicKey', 'DeleteKeyPair', 'DescribeSecurityGroups',
    'RevokeSecurityGroupIngress', 'AuthorizeSecurityGroupIngress',
    'CreateSecurityGroup', 'DeleteSecurityGroup', 'GetConsoleOutput',
    'GetAjaxConsole', 'GetVncConsole', 'DescribeVolumes', 'CreateVolume',
    'DeleteVolume', 'UpdateVolume', 'AttachVolume', 'DetachVolume',
    'DescribeInstanceAttribute', 'DescribeInstances', 'DescribeInstancesV6',
    'DescribeAddresses', 'AllocateAddress', 'ReleaseAddress',
    'AssociateAddress', 'DisassociateAddress', 'RunInstances',
    'TerminateInstances', 'RebootInstances', 'StopInstances',
    'StartInstances', 'RescueInstance', 'UnrescueInstance',
    'UpdateInstance', 'DescribeImages', 'DeregisterImage', 'RegisterImage',
    'DescribeImageAttribute', 'ModifyImageAttribute', 'UpdateImage',
    'CreateImage',
    # Added by this project (modern clients call them)
    'DescribeAccountAttributes', 'ImportKeyPair', 'CreateTags',
    'DeleteTags', 'DescribeTags', 'ModifyInstanceAttribute',
    'ResetInstanceAttribute', 'DescribeInstanceStatus', 'GetPasswordData',
    'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupEgress',
    'DescribeInstanceTypes', 'ResetImageAttribute',
])

#: Actions of the AdminController (``/services/Admin``, admins only).
ADMIN_ACTIONS = frozenset([
    'DescribeInstanceTypes', 'DescribeUser', 'DescribeUsers',
    'RegisterUser', 'DeregisterUser', 'DescribeRoles', 'DescribeUserRoles',
    'ModifyUserRole', 'GenerateX509ForUser', 'DescribeProject',
    'DescribeProjects', 'RegisterProject', 'ModifyProject',
    'DeregisterProject', 'DescribeProjectMembers', 'ModifyProjectMember',
    'StartVpn', 'DescribeVpns', 'DescribeHosts', 'BlockExternalAddresses',
    'DescribeExternalAddressBlocks', 'RemoveExternalAddressBlock',
])

#: Every EC2 action, whichever controller serves it.
ACTIONS = CLOUD_ACTIONS | ADMIN_ACTIONS

_BY_CONTROLLER = {'CloudController': CLOUD_ACTIONS,
                  'AdminController': ADMIN_ACTIONS}


def declared_for(controller):
    """The actions ``controller`` may serve (by its class name)."""
    return _BY_CONTROLLER.get(type(controller).__name__, ACTIONS)


def is_declared(controller, action):
    """Whether ``action`` is on the list of ``controller``."""
    return isinstance(action, str) and action in declared_for(controller)
