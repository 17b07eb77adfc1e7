"""Instance attributes: Describe/Modify/ResetInstanceAttribute.

Every value is read from and written to the instance's row:
``disableApiTermination`` (``disable_terminate``),
``instanceInitiatedShutdownBehavior`` (``shutdown_terminate``),
``instanceType``, ``userData`` (both only while stopped), ``kernel`` and
``ramdisk``.  This cloud is EC2-classic: the VPC-only attributes
(``sourceDestCheck``, ``groupSet`` changes, ENA/SR-IOV...) answer
``InvalidParameterCombination``, as AWS does outside a VPC.
"""

from nova import exception
from nova.api.ec2 import ec2utils
from nova.api.ec2.cloud import instance_view
from nova.compute import instance_types

#: Modify parameters (unflattened name) -> attribute.
_MODIFY_PARAMS = {
    'disable_api_termination': 'disableApiTermination',
    'instance_type': 'instanceType',
    'user_data': 'userData',
    'kernel': 'kernel',
    'ramdisk': 'ramdisk',
    'instance_initiated_shutdown_behavior':
        'instanceInitiatedShutdownBehavior',
    'source_dest_check': 'sourceDestCheck',
    'group_id': 'groupSet',
    'ebs_optimized': 'ebsOptimized',
    'sriov_net_support': 'sriovNetSupport',
    'ena_support': 'enaSupport',
    'block_device_mapping': 'blockDeviceMapping',
}

_DESCRIBABLE = ('instanceType', 'kernel', 'ramdisk', 'userData',
                'disableApiTermination', 'instanceInitiatedShutdownBehavior',
                'rootDeviceName', 'blockDeviceMapping', 'productCodes',
                'groupSet', 'ebsOptimized', 'sriovNetSupport', 'enaSupport',
                'sourceDestCheck')
_MODIFIABLE = ('instanceType', 'kernel', 'ramdisk', 'userData',
               'disableApiTermination', 'instanceInitiatedShutdownBehavior',
               'blockDeviceMapping', 'groupSet', 'ebsOptimized',
               'sriovNetSupport', 'enaSupport', 'sourceDestCheck')
_RESETTABLE = ('kernel', 'ramdisk', 'sourceDestCheck')
#: Attributes that exist only for instances in a VPC.
_VPC_ONLY = ('sourceDestCheck', 'groupSet', 'sriovNetSupport', 'enaSupport')


def _classic(attribute):
    return exception.InvalidParameterCombination(
        reason='The attribute %s is only supported for instances in a VPC'
        % attribute)


def _value_of(param):
    """The value of ``X.Value`` (or a bare value)."""
    if isinstance(param, dict):
        return param.get('value')
    if isinstance(param, list):
        return param
    return param


class InstanceAttributeActions(object):
    """EC2 instance attribute actions."""

    def _attr_instance(self, context, instance_id):
        ids = [str(i) for i in ec2utils.as_list(instance_id) if i != '']
        if not ids:
            raise ec2utils.missing('InstanceId')
        ec2_id = ids[0]
        number = ec2utils.ec2_instance_id_to_id(ec2_id)
        return ec2_id, self.compute_api.get(context, number)

    def describe_instance_attribute(self, context, instance_id=None,
                                    attribute=None, **kwargs):
        """DescribeInstanceAttribute: one attribute, AWS's shape."""
        if not attribute:
            raise ec2utils.missing('Attribute')
        attribute = str(attribute)
        if attribute not in _DESCRIBABLE:
            raise ec2utils.invalid_value('Attribute', attribute)
        ec2_id, instance = self._attr_instance(context, instance_id)
        if attribute in ('sourceDestCheck', 'sriovNetSupport',
                         'enaSupport'):
            raise _classic(attribute)
        view = instance_view.InstanceView(context)
        item = view.format(instance)
        result = {'instanceId': ec2_id}
        if attribute == 'groupSet':
            result['groupSet'] = item['groupSet']
        elif attribute in ('blockDeviceMapping', 'productCodes'):
            result[attribute] = []
        else:
            user_data = instance['user_data'] or None
            behaviour = ('terminate' if instance['shutdown_terminate']
                         in (None, True) else 'stop')
            values = {'instanceType': item['instanceType'],
                      'kernel': item.get('kernelId'),
                      'ramdisk': item.get('ramdiskId'),
                      'rootDeviceName': item['rootDeviceName'],
                      'userData': user_data,
                      'disableApiTermination':
                          bool(instance['disable_terminate']),
                      'instanceInitiatedShutdownBehavior': behaviour,
                      'ebsOptimized': False}
            result[attribute] = {'value': values[attribute]}
        return result

    def _requested_change(self, attribute, value, kwargs):
        """``(attribute, value)`` from either form of the request."""
        given = [(name, kwargs[param]) for param, name in
                 _MODIFY_PARAMS.items() if kwargs.get(param) is not None]
        if attribute:
            attribute = str(attribute)
            if attribute not in _MODIFIABLE:
                raise ec2utils.invalid_value('Attribute', attribute)
            if given:
                raise exception.InvalidParameterCombination(
                    reason='Attribute and Value cannot be used with the '
                    'attribute parameters')
            if attribute in _VPC_ONLY:
                raise _classic(attribute)
            if value is None:
                raise ec2utils.missing('Value')
            return attribute, _value_of(value)
        if len(given) != 1:
            raise exception.InvalidParameterCombination(
                reason='Exactly one attribute must be modified')
        name, param = given[0]
        if name in _VPC_ONLY:
            raise _classic(name)
        result = _value_of(param)
        if result is None:
            raise ec2utils.missing('%s.Value' % name[:1].upper() + name[1:])
        return name, result

    def _attribute_values(self, context, instance, attribute, value):
        """``(column values, stopped only?)`` of a modification."""
        if attribute == 'disableApiTermination':
            return {'disable_terminate': ec2utils.to_bool(
                value, 'DisableApiTermination')}, False
        if attribute == 'instanceInitiatedShutdownBehavior':
            if value not in ('stop', 'terminate'):
                raise ec2utils.invalid_value(
                    'InstanceInitiatedShutdownBehavior', value)
            return {'shutdown_terminate': value == 'terminate'}, False
        if attribute == 'instanceType':
            try:
                flavor = instance_types.get_instance_type_by_name(str(value))
            except exception.NotFound:
                raise ec2utils.invalid_value('InstanceType', value)
            return {'instance_type': flavor}, True
        if attribute == 'userData':
            ec2utils.decode_base64(value, 'UserData')
            return {'user_data': str(value) or None}, True
        if attribute in ('kernel', 'ramdisk'):
            image = self.get_image(context, value)
            prefix = 'aki' if attribute == 'kernel' else 'ari'
            if ec2utils.image_prefix(image) != prefix:
                raise ec2utils.invalid_value(attribute, value)
            return {'%s_id' % attribute: str(image['id'])}, True
        if attribute == 'ebsOptimized':
            if ec2utils.to_bool(value, 'EbsOptimized'):
                raise ec2utils.invalid_value(
                    'EbsOptimized', value,
                    'EBS optimization is not available')
            return {}, False
        raise ec2utils.invalid_value('Attribute', attribute)

    def modify_instance_attribute(self, context, instance_id=None,
                                  attribute=None, value=None, **kwargs):
        """ModifyInstanceAttribute: Attribute+Value or one ``X.Value``."""
        attribute, value = self._requested_change(attribute, value, kwargs)
        _ec2_id, instance = self._attr_instance(context, instance_id)
        values, stopped_only = self._attribute_values(context, instance,
                                                      attribute, value)
        if values:
            self.compute_api.set_attributes(context, instance['id'], values,
                                            stopped_only=stopped_only)
        return True

    def reset_instance_attribute(self, context, instance_id=None,
                                 attribute=None, **kwargs):
        """ResetInstanceAttribute: kernel and ramdisk back to the image's."""
        if not attribute:
            raise ec2utils.missing('Attribute')
        attribute = str(attribute)
        if attribute not in _RESETTABLE:
            raise ec2utils.invalid_value('Attribute', attribute)
        if attribute in _VPC_ONLY:
            raise _classic(attribute)
        _ec2_id, instance = self._attr_instance(context, instance_id)
        props = {}
        try:
            image = self.image_service.show(context, instance['image_ref'])
            props = image.get('properties') or {}
        except exception.NotFound:
            pass
        column = '%s_id' % attribute
        default = props.get(column)
        self.compute_api.set_attributes(
            context, instance['id'],
            {column: str(default) if default not in (None, '') else None},
            stopped_only=True)
        return True
