"""DescribeInstancesV6 (Nova extension): the instance list with IPv6.

Diablo answered it as DescribeInstances, each instance also carrying
``dnsNameV6``: the EUI-64 address (RFC 2462, Diablo's default
``--ipv6_backend``) of its first fixed IP's virtual interface MAC in that
network's ``cidr_v6``.  Instances whose network has no IPv6 range carry no
``dnsNameV6``.  The same address is also given as ``ipv6Address``, the
name today's EC2 uses for an instance's IPv6 address (boto3 reads it).
"""

from nova import db
from nova.api.ec2 import ec2utils
from nova.network import subnets


def add_ipv6(context, reservations):
    """Set ``dnsNameV6``/``ipv6Address`` on the instances of reservations."""
    numbers = {}
    for reservation in reservations:
        for item in reservation['instancesSet']:
            number = ec2utils.ec2_instance_id_to_id(item['instanceId'])
            numbers.setdefault(number, []).append(item)
    if not numbers:
        return reservations
    sources = db.instance_ipv6_sources(context, list(numbers))
    for number, (cidr_v6, mac) in sources.items():
        try:
            address = subnets.mac_to_ipv6(cidr_v6, mac)
        except ValueError:
            # A malformed MAC or range in the database: no address to show.
            continue
        for item in numbers.get(number, []):
            item['dnsNameV6'] = address
            item['ipv6Address'] = address
    return reservations


class InstanceV6Actions(object):
    """EC2 DescribeInstancesV6."""

    def describe_instances_v6(self, context, **kwargs):
        """DescribeInstancesV6: DescribeInstances (same arguments, filters
        and paging) with each instance's IPv6 address."""
        result = self.describe_instances(context, **kwargs)
        add_ipv6(context, result['reservationSet'])
        return result
