"""Image actions over the image service named by ``--image_service``.

Image ids are ``ami-``/``aki-``/``ari-%08x`` of the image service's integer
id, the prefix chosen by the container format.  Users see public images and
their project's own; only the owner (or an admin) changes or deregisters.
"""

from nova import exception
from nova.api.ec2 import ec2utils

_TYPE_BY_PREFIX = ec2utils.IMAGE_TYPES


def image_state(image):
    """``properties.image_state``, else the status (active -> available)."""
    props = image.get('properties') or {}
    state = props.get('image_state')
    if state:
        return state
    status = image.get('status') or 'available'
    return 'available' if status == 'active' else status


def image_owner(image):
    """The project owning an image."""
    props = image.get('properties') or {}
    return props.get('project_id') or props.get('owner_id') or \
        image.get('owner')


class ImageActions(object):
    """EC2 image actions."""

    # -- lookups ---------------------------------------------------------------
    def _visible(self, context, image):
        return context.is_admin or image.get('is_public') or \
            image_owner(image) == context.project_id

    def get_image(self, context, ec2_id):
        """The image behind an EC2 id; InvalidAMIID.NotFound otherwise."""
        prefix, number = ec2utils.ec2_image_id_to_id(ec2_id)
        try:
            image = self.image_service.show(context, number)
        except exception.NotFound:
            image = None
        if image is None or ec2utils.image_prefix(image) != prefix or \
                not self._visible(context, image):
            raise ec2utils.EC2APIError(
                "The image id '[%s]' does not exist" % ec2_id,
                ec2_code='InvalidAMIID.NotFound')
        return image

    def _owned_image(self, context, ec2_id):
        image = self.get_image(context, ec2_id)
        if not context.is_admin and image_owner(image) != context.project_id:
            raise exception.NotAuthorized()
        return image

    # -- rendering -------------------------------------------------------------
    def format_image(self, image):
        """The DescribeImages item of an image dict."""
        props = image.get('properties') or {}
        prefix = ec2utils.image_prefix(image)
        name = image.get('name')
        location = props.get('image_location') or name
        item = {
            'imageId': ec2utils.image_ec2_id(image['id'], prefix),
            'imageLocation': location,
            'imageState': image_state(image),
            'imageOwnerId': image_owner(image),
            'isPublic': bool(image.get('is_public')),
            'architecture': props.get('architecture') or 'x86_64',
            'imageType': _TYPE_BY_PREFIX[prefix],
            'name': name,
            'description': props.get('description') or None,
            'rootDeviceType': 'instance-store',
            'rootDeviceName': props.get('root_device_name') or '/dev/sda1',
            'creationDate': ec2utils.isotime(image.get('created_at')),
            'virtualizationType': 'paravirtual',
            'hypervisor': 'xen',
        }
        if prefix == 'ami':
            if props.get('kernel_id'):
                item['kernelId'] = ec2utils.image_ec2_id(props['kernel_id'],
                                                         'aki')
            if props.get('ramdisk_id'):
                item['ramdiskId'] = ec2utils.image_ec2_id(
                    props['ramdisk_id'], 'ari')
        return item

    # -- actions ---------------------------------------------------------------
    def describe_images(self, context, image_id=None, owner=None,
                        executable_by=None, filter=None, **kwargs):
        """DescribeImages: ImageId.N, Owner.N (``self``/project), filters."""
        ids = ec2utils.as_list(image_id)
        if ids:
            images = [self.get_image(context, i) for i in ids]
        else:
            images = [i for i in self.image_service.detail(context)
                      if self._visible(context, i)]
        owners = [str(o) for o in ec2utils.as_list(owner)]
        if owners:
            wanted = set(context.project_id if o == 'self' else o
                         for o in owners)
            images = [i for i in images if image_owner(i) in wanted]
        items = [self.format_image(i) for i in images]
        items = ec2utils.apply_filters(
            items, ec2utils.filters_from(filter),
            {'image-id': lambda i: i['imageId'],
             'name': lambda i: i['name'],
             'state': lambda i: i['imageState'],
             'image-type': lambda i: i['imageType'],
             'is-public': lambda i: i['isPublic'],
             'owner-id': lambda i: i['imageOwnerId'],
             'architecture': lambda i: i['architecture'],
             'kernel-id': lambda i: i.get('kernelId'),
             'ramdisk-id': lambda i: i.get('ramdiskId'),
             'manifest-location': lambda i: i['imageLocation'],
             'root-device-type': lambda i: i['rootDeviceType']})
        items.sort(key=lambda i: i['imageId'])
        return {'imagesSet': items}

    def register_image(self, context, image_location=None, name=None,
                       description=None, architecture=None, kernel_id=None,
                       ramdisk_id=None, root_device_name=None, **kwargs):
        """RegisterImage: record a machine image in the image service.

        Images from S3 bundles (``ImageLocation`` of a manifest) need the
        objectstore path; without it the image is recorded by name.
        """
        if not image_location and not name:
            raise ec2utils.missing('ImageLocation')
        location = image_location or name
        props = {'image_location': location,
                 'image_state': 'available',
                 'project_id': context.project_id,
                 'owner_id': context.project_id,
                 'architecture': architecture or 'x86_64'}
        if description:
            props['description'] = description
        if root_device_name:
            props['root_device_name'] = root_device_name
        if kernel_id:
            props['kernel_id'] = self.get_image(context, kernel_id)['id']
        if ramdisk_id:
            props['ramdisk_id'] = self.get_image(context, ramdisk_id)['id']
        image = self.image_service.create(context, {
            'name': name or location, 'is_public': False,
            'status': 'active', 'container_format': 'ami',
            'disk_format': 'ami', 'properties': props})
        return {'imageId': ec2utils.image_ec2_id(image['id'], 'ami')}

    def deregister_image(self, context, image_id=None, **kwargs):
        """DeregisterImage: delete the image from the image service."""
        if not image_id:
            raise ec2utils.missing('ImageId')
        image = self._owned_image(context, image_id)
        self.image_service.delete(context, image['id'])
        return True

    def describe_image_attribute(self, context, image_id=None,
                                 attribute=None, **kwargs):
        """DescribeImageAttribute: launchPermission, kernel, ramdisk, ..."""
        if not image_id:
            raise ec2utils.missing('ImageId')
        if not attribute:
            raise ec2utils.missing('Attribute')
        image = self.get_image(context, image_id)
        item = self.format_image(image)
        result = {'imageId': item['imageId']}
        if attribute == 'launchPermission':
            result['launchPermission'] = (
                [{'group': 'all'}] if image.get('is_public') else [])
        elif attribute == 'kernel':
            result['kernel'] = {'value': item.get('kernelId')}
        elif attribute == 'ramdisk':
            result['ramdisk'] = {'value': item.get('ramdiskId')}
        elif attribute == 'description':
            result['description'] = {'value': item.get('description')}
        elif attribute == 'blockDeviceMapping':
            result['blockDeviceMapping'] = []
        elif attribute == 'rootDeviceName':
            result['rootDeviceName'] = {'value': item['rootDeviceName']}
        elif attribute == 'productCodes':
            result['productCodes'] = []
        else:
            raise ec2utils.invalid_value('Attribute', attribute)
        return result

    def modify_image_attribute(self, context, image_id=None, attribute=None,
                               operation_type=None, user_group=None,
                               launch_permission=None, description=None,
                               **kwargs):
        """ModifyImageAttribute: make public/private; set the description."""
        if not image_id:
            raise ec2utils.missing('ImageId')
        image = self._owned_image(context, image_id)
        if description is not None and attribute in (None, 'description'):
            value = description.get('value') if isinstance(
                description, dict) else description
            props = dict(image.get('properties') or {})
            props['description'] = value
            self.image_service.update(context, image['id'],
                                      {'properties': props})
            return True
        groups = [str(g) for g in ec2utils.as_list(user_group)]
        if isinstance(launch_permission, dict):
            for op in ('add', 'remove'):
                for entry in ec2utils.as_list(launch_permission.get(op)):
                    if isinstance(entry, dict) and entry.get('group'):
                        operation_type = op
                        groups.append(str(entry['group']))
            attribute = attribute or 'launchPermission'
        if attribute != 'launchPermission':
            raise ec2utils.invalid_value('Attribute', attribute)
        if not groups:
            raise ec2utils.missing('UserGroup')
        if any(g != 'all' for g in groups):
            raise ec2utils.invalid_value('UserGroup', ','.join(groups),
                                         'Only the group "all" is supported')
        if operation_type not in ('add', 'remove'):
            raise ec2utils.invalid_value('OperationType', operation_type)
        self.image_service.update(context, image['id'],
                                  {'is_public': operation_type == 'add'})
        return True
