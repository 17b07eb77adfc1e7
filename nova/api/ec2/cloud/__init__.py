"""CloudController: the EC2 actions at ``/services/Cloud``.

The controller is assembled from one module per resource; each action is a
public method named like the action (``DescribeInstances`` ->
``describe_instances``) taking the request context and the decoded
arguments.  The controller reaches compute and the network through their
client-side APIs (``nova.compute.api``, RPC), never a manager.
"""

from nova.api.ec2.cloud import addresses
from nova.api.ec2.cloud import base
from nova.api.ec2.cloud import consoles
from nova.api.ec2.cloud import images
from nova.api.ec2.cloud import instance_attributes
from nova.api.ec2.cloud import instance_extras
from nova.api.ec2.cloud import instance_status
from nova.api.ec2.cloud import instance_v6
from nova.api.ec2.cloud import instances
from nova.api.ec2.cloud import keypairs
from nova.api.ec2.cloud import security_groups
from nova.api.ec2.cloud import volumes
from nova.api.ec2.cloud import tags
from nova.api.ec2.cloud import zones


class CloudController(instances.InstanceActions,
                      instance_attributes.InstanceAttributeActions,
                      instance_extras.InstanceExtraActions,
                      instance_status.InstanceStatusActions,
                      instance_v6.InstanceV6Actions,
                      keypairs.KeyPairActions,
                      security_groups.SecurityGroupActions,
                      images.ImageActions,
                      volumes.VolumeActions,
                      zones.ZoneActions,
                      addresses.AddressActions,
                      tags.TagActions,
                      consoles.ConsoleActions,
                      base.ControllerBase):
    """The EC2 cloud controller."""

    def __str__(self):
        return 'CloudController'


__all__ = ['CloudController']
