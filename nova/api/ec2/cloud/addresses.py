"""Elastic (floating) IP actions: Allocate/Release/Associate/Disassociate/
DescribeAddresses.

A project allocates addresses from the pool an operator created with
``nova-manage floating create``; the ``floating_ips`` quota limits how many
it holds.  Associating maps the address to the instance's first fixed IP
on the host doing that instance's NAT (through ``nova.network.api``).
"""

import ipaddress

from nova import db
from nova import exception
from nova.api.ec2 import ec2utils


def _public_ip(value):
    if value is None or str(value) == '':
        raise ec2utils.missing('PublicIp')
    try:
        return str(ipaddress.IPv4Address(str(value).strip()))
    except ValueError:
        raise ec2utils.invalid_value('PublicIp', value,
                                     'not an IPv4 address')


class AddressActions(object):
    """EC2 address actions."""

    @property
    def network_api(self):
        """``nova.network.api.API`` (RPC to nova-network)."""
        if getattr(self, '_network_api', None) is None:
            from nova.network import api as network_api
            self._network_api = network_api.API()
        return self._network_api

    @staticmethod
    def _format_address(context, floating_ip):
        instance_id = ''
        fixed_ip = floating_ip['fixed_ip']
        if fixed_ip is not None and fixed_ip['instance'] is not None:
            instance_id = ec2utils.instance_id_to_ec2(
                fixed_ip['instance']['id'])
        item = {'publicIp': floating_ip['address'],
                'instanceId': instance_id, 'domain': 'standard'}
        if context.is_admin and floating_ip['project_id']:
            item['projectId'] = floating_ip['project_id']
        return item

    def describe_addresses(self, context, public_ip=None, filter=None,
                           **kwargs):
        """DescribeAddresses: the project's addresses (PublicIp.N, filters).

        Administrators see every allocated address.
        """
        if context.is_admin:
            floating_ips = [f for f in db.floating_ip_get_all(context)
                            if f['project_id']]
        else:
            floating_ips = db.floating_ip_get_all_by_project(
                context, context.project_id)
        wanted = [_public_ip(ip) for ip in ec2utils.as_list(public_ip)]
        if wanted:
            known = set(f['address'] for f in floating_ips)
            for address in wanted:
                if address not in known:
                    raise exception.FloatingIpNotFoundForAddress(
                        address=address)
            floating_ips = [f for f in floating_ips if f['address'] in wanted]
        items = [self._format_address(context, f) for f in floating_ips]
        items = ec2utils.apply_filters(
            items, ec2utils.filters_from(filter),
            {'public-ip': lambda i: i['publicIp'],
             'instance-id': lambda i: i['instanceId'],
             'domain': lambda i: i['domain']})
        return {'addressesSet': items}

    def allocate_address(self, context, domain=None, **kwargs):
        """AllocateAddress: a free address for the project."""
        if domain not in (None, '', 'standard'):
            raise ec2utils.invalid_value('Domain', domain,
                                         'only "standard" addresses exist')
        address = self.network_api.allocate_floating_ip(context)
        return {'publicIp': address, 'domain': 'standard'}

    def release_address(self, context, public_ip=None, **kwargs):
        """ReleaseAddress: give an unassociated address back."""
        self.network_api.release_floating_ip(context, _public_ip(public_ip))
        return True

    def associate_address(self, context, instance_id=None, public_ip=None,
                          **kwargs):
        """AssociateAddress: map the address to the instance's fixed IP."""
        address = _public_ip(public_ip)
        if instance_id is None or str(instance_id) == '':
            raise ec2utils.missing('InstanceId')
        number = ec2utils.ec2_instance_id_to_id(str(instance_id))
        self.network_api.get_floating_ip(context, address)
        instance = self.compute_api.get(context, number)
        fixed = db.instance_get_fixed_addresses(context, instance['id'])
        if not fixed:
            raise exception.FixedIpNotFoundForInstance(
                instance_id=instance['id'])
        self.network_api.associate_floating_ip(context, address, fixed[0])
        return True

    def disassociate_address(self, context, public_ip=None, **kwargs):
        """DisassociateAddress: remove the address's mapping.

        An address of the caller's that is mapped to nothing is already
        disassociated: success, as AWS answers in EC2-classic (and the EC2
        conformance suite expects).  Another project's address stays
        InvalidAddress.NotFound.
        """
        try:
            self.network_api.disassociate_floating_ip(context,
                                                      _public_ip(public_ip))
        except exception.FloatingIpNotAssociated:
            pass
        return True
