"""GetPasswordData, CreateImage and DescribeInstanceTypes.

* GetPasswordData: this cloud never sets a Windows administrator password,
  so the answer is AWS's answer for Linux images: an empty passwordData.
* CreateImage: every instance here boots from instance store (there are no
  EBS root volumes), and AWS refuses CreateImage of an instance-store
  instance with InvalidParameterValue; so does this cloud, after checking
  the request as AWS does.
* DescribeInstanceTypes: the flavors in AWS's shape (instance-type filter,
  InstanceType.N, MaxResults/NextToken by flavor id).
"""

from nova import exception
from nova import utils
from nova.api.ec2 import ec2utils
from nova.api.ec2 import paging
from nova.compute import instance_types


def _flavor_item(flavor):
    return {
        'instanceType': flavor['name'],
        'currentGeneration': True,
        'freeTierEligible': False,
        'supportedUsageClasses': ['on-demand'],
        'supportedRootDeviceTypes': ['instance-store'],
        'supportedVirtualizationTypes': ['paravirtual', 'hvm'],
        'bareMetal': False,
        'hypervisor': 'xen',
        'processorInfo': {'supportedArchitectures': ['x86_64', 'i386']},
        'vCpuInfo': {'defaultVCpus': flavor['vcpus']},
        'memoryInfo': {'sizeInMiB': flavor['memory_mb']},
        'instanceStorageSupported': bool(flavor['local_gb']),
        'instanceStorageInfo': ({'totalSizeInGB': flavor['local_gb']}
                                if flavor['local_gb'] else None),
        'ebsInfo': {'ebsOptimizedSupport': 'unsupported'},
        'networkInfo': {'networkPerformance': 'Moderate',
                        'maximumNetworkInterfaces': 1,
                        'ipv4AddressesPerInterface': 1,
                        'ipv6Supported': False},
    }


class InstanceExtraActions(object):
    """EC2 actions around instances that Diablo did not have."""

    def get_password_data(self, context, instance_id=None, **kwargs):
        """GetPasswordData: empty (no Windows passwords are generated)."""
        ids = [str(i) for i in ec2utils.as_list(instance_id) if i != '']
        if not ids:
            raise ec2utils.missing('InstanceId')
        number = ec2utils.ec2_instance_id_to_id(ids[0])
        self.compute_api.get(context, number)
        return {'instanceId': ids[0], 'timestamp': utils.utcnow(),
                'passwordData': ''}

    def create_image(self, context, instance_id=None, name=None,
                     description=None, no_reboot=None, **kwargs):
        """CreateImage: a snapshot of the root disk where the hypervisor
        has one (libvirt); refused as instance-store on the fake one."""
        ids = [str(i) for i in ec2utils.as_list(instance_id) if i != '']
        if not ids:
            raise ec2utils.missing('InstanceId')
        if not name:
            raise ec2utils.missing('Name')
        name = str(name)
        if not 3 <= len(name) <= 128:
            raise ec2utils.invalid_value('Name', name,
                                         'Image names are 3 to 128 '
                                         'characters')
        if no_reboot is not None:
            ec2utils.to_bool(no_reboot, 'NoReboot')
        number = ec2utils.ec2_instance_id_to_id(ids[0])
        instance = self.compute_api.get(context, number)
        if self.compute_api.can_snapshot(context, instance):
            image = self.compute_api.snapshot(
                context, number, name,
                description=str(description) if description else None)
            return {'imageId': ec2utils.image_ec2_id(image['id'], 'ami')}
        root = instance['root_device_name'] or '/dev/sda1'
        raise exception.InvalidParameterValue(
            err="Instance '%s' does not have a volume attached at root (%s)"
            % (ids[0], root))

    def describe_instance_types(self, context, instance_type=None,
                                filter=None, max_results=None,
                                next_token=None, **kwargs):
        """DescribeInstanceTypes: the flavors, AWS's shape."""
        names = [str(n) for n in ec2utils.as_list(instance_type)]
        page = paging.page_of(context, 'DescribeInstanceTypes', max_results,
                              next_token, ids=names)
        flavors = sorted(instance_types.get_all_types().values(),
                         key=lambda f: f['flavorid'])
        if names:
            known = set(f['name'] for f in flavors)
            for name in names:
                if name not in known:
                    raise ec2utils.EC2APIError(
                        "The following supplied instance types do not "
                        "exist: [%s]" % name,
                        ec2_code='InvalidInstanceType')
            flavors = [f for f in flavors if f['name'] in names]
        if page.marker is not None:
            flavors = [f for f in flavors if f['flavorid'] > page.marker]
        if page.fetch is not None:
            flavors = flavors[:page.fetch]
        flavors, token = page.split(flavors, lambda f: f['flavorid'])
        items = ec2utils.apply_filters(
            [_flavor_item(f) for f in flavors],
            ec2utils.filters_from(filter),
            {'instance-type': lambda i: i['instanceType'],
             'vcpu-info.default-vcpus':
                 lambda i: i['vCpuInfo']['defaultVCpus'],
             'memory-info.size-in-mib':
                 lambda i: i['memoryInfo']['sizeInMiB'],
             'instance-storage-supported':
                 lambda i: i['instanceStorageSupported']})
        return paging.answer('instanceTypeSet', items, token)
