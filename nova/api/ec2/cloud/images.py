"""Image actions over the image service named by ``--image_service``.

Image ids are ``ami-``/``aki-``/``ari-%08x`` of the image service's integer
id, the prefix chosen by the container format.  Users see public images and
their project's own; only the owner (or an admin) changes or deregisters.
"""

from nova import db
from nova import exception
from nova.api.ec2 import ec2utils
from nova.api.ec2.cloud import bundles
from nova.api.ec2.cloud import machine_facts
from nova.api.ec2 import paging
from nova.api.ec2.cloud import tags

_TYPE_BY_PREFIX = ec2utils.IMAGE_TYPES


def image_state(image):
    """``properties.image_state``, else the status (active -> available)."""
    props = image.get('properties') or {}
    state = props.get('image_state')
    if state:
        return state
    status = image.get('status') or 'available'
    return 'available' if status == 'active' else status


def state_reason(image):
    """The ``stateReason`` of an image, or None.

    Only the short ``<state>: <reason>`` recorded as ``image_error`` (see
    :mod:`nova.image.s3`) is shown; any other text is replaced by a generic
    reason, so no internal message reaches the user.
    """
    props = image.get('properties') or {}
    error = props.get('image_error')
    if not error:
        return None
    state = image_state(image)
    message = str(error)
    if not message.startswith(state + ': ') or len(message) > 255 or \
            '\n' in message:
        message = '%s: the image could not be registered' % state
    return {'code': state, 'message': message}


def image_owner(image):
    """The project owning an image."""
    props = image.get('properties') or {}
    return props.get('project_id') or props.get('owner_id') or \
        image.get('owner')


def is_bundle_location(value):
    """Whether ``value`` names a bundle manifest in a bucket
    (``bucket/[path/]name.manifest.xml``)."""
    if not isinstance(value, str):
        return False
    bucket, _sep, key = value.partition('/')
    return bool(bucket) and key.endswith('.manifest.xml') and \
        len(key) > len('.manifest.xml')


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
                "The image id '%s' does not exist" % ec2_id,
                ec2_code='InvalidAMIID.NotFound')
        return image

    def _owned_image(self, context, ec2_id):
        """The image, or AuthFailure when another project owns it (as AWS
        answers for a public image one may launch but not change)."""
        image = self.get_image(context, ec2_id)
        if not context.is_admin and image_owner(image) != context.project_id:
            raise ec2utils.EC2APIError('Not authorized for image:%s' % ec2_id,
                                       ec2_code='AuthFailure')
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
            'rootDeviceType': machine_facts.root_device_type(
                props.get('root_device_name'),
                props.get('block_device_mapping')),
            'rootDeviceName': props.get('root_device_name') or
            machine_facts.DEFAULT_ROOT_DEVICE,
            'creationDate': ec2utils.isotime(image.get('created_at')),
            'virtualizationType':
                machine_facts.image_virtualization_type(image),
            'hypervisor': machine_facts.image_hypervisor(image),
        }
        reason = state_reason(image)
        if reason:
            item['stateReason'] = reason
        if prefix == 'ami':
            if props.get('kernel_id'):
                item['kernelId'] = ec2utils.image_ec2_id(props['kernel_id'],
                                                         'aki')
            if props.get('ramdisk_id'):
                item['ramdiskId'] = ec2utils.image_ec2_id(
                    props['ramdisk_id'], 'ari')
        return item

    # -- actions ---------------------------------------------------------------
    def _visible_page(self, context, page):
        """Visible images a page at a time from the image service's marker
        and limit (``(images, next marker or None)``)."""
        if not page.paged:
            return [i for i in self.image_service.detail(context)
                    if self._visible(context, i)], None
        images = []
        marker = page.marker
        while len(images) < page.fetch:
            batch = self.image_service.detail(context, marker=marker,
                                              limit=page.fetch)
            if not batch:
                break
            images.extend(i for i in batch if self._visible(context, i))
            marker = batch[-1]['id']
            if len(batch) < page.fetch:
                break
        return images[:page.fetch], None

    def describe_images(self, context, image_id=None, owner=None,
                        executable_by=None, filter=None, max_results=None,
                        next_token=None, **kwargs):
        """DescribeImages: ImageId.N, Owner.N (``self``/project), filters,
        tags and ``MaxResults``/``NextToken`` (paged in image id order)."""
        ids = ec2utils.as_list(image_id)
        page = paging.page_of(context, 'DescribeImages', max_results,
                              next_token, ids=ids)
        token = None
        if ids:
            images = [self.get_image(context, i) for i in ids]
        else:
            images, _unused = self._visible_page(context, page)
            images, token = page.split(images, lambda i: i['id'])
        owners = [str(o) for o in ec2utils.as_list(owner)]
        if owners:
            wanted = set(context.project_id if o == 'self' else o
                         for o in owners)
            images = [i for i in images if image_owner(i) in wanted]
        items = [self.format_image(i) for i in images]
        filters, tag_filters = tags.split_filters(
            ec2utils.filters_from(filter))
        items = ec2utils.apply_filters(
            items, filters,
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
             'root-device-type': lambda i: i['rootDeviceType'],
             'root-device-name': lambda i: i['rootDeviceName'],
             'hypervisor': lambda i: i.get('hypervisor'),
             'virtualization-type': lambda i: i['virtualizationType']})
        items = tags.filter_by_tags(context, 'image', items, 'imageId',
                                    tag_filters)
        tags.attach_tag_sets(context, items, 'imageId')
        for item in items:
            item['tagSet'] = item['tagSet'] or None
        if not page.paged:
            items.sort(key=lambda i: i['imageId'])
        return paging.answer('imagesSet', items, token)

    def register_image(self, context, image_location=None, name=None,
                       description=None, architecture=None, kernel_id=None,
                       ramdisk_id=None, root_device_name=None, **kwargs):
        """RegisterImage of a bundle uploaded to nova-objectstore.

        ``ImageLocation`` is ``bucket/name.manifest.xml``; the image starts
        ``pending`` and becomes ``available`` only once the bundle has been
        fetched, verified, decrypted, untarred and stored (or ``failed_*``).

        Without ``ImageLocation``, a ``Name`` that is a bundle location
        (``bucket/name.manifest.xml``) is the location, as Diablo's
        register_image took it: boto 2's ``register_image('b/x.manifest.xml')``
        (its first positional argument is ``name``), as Diablo's smoketests
        call it.  Any other request without a location is MissingParameter.
        """
        if not image_location and is_bundle_location(name):
            image_location, name = str(name), None
        if not image_location:
            raise ec2utils.missing('ImageLocation')
        props = {}
        if architecture:
            props['architecture'] = architecture
        if description:
            props['description'] = description
        if root_device_name:
            props['root_device_name'] = root_device_name
        if kernel_id:
            props['kernel_id'] = self.get_image(context, kernel_id)['id']
        if ramdisk_id:
            props['ramdisk_id'] = self.get_image(context, ramdisk_id)['id']
        image = bundles.register_bundle(self.image_service, context,
                                        image_location, props)
        if name:
            self.image_service.update(context, image['id'], {'name': name})
        return {'imageId': ec2utils.image_ec2_id(
            image['id'], image.get('container_format') or 'ami')}

    def update_image(self, context, image_id=None, display_name=None,
                     display_description=None, name=None, description=None,
                     **kwargs):
        """UpdateImage (Nova extension): an image's name and description.

        Diablo handed every argument to the image service; only the
        display fields are changed here (``DisplayName``/``Name`` is the
        image's name, ``DisplayDescription``/``Description`` its
        description), as UpdateInstance and UpdateVolume do.  Only the
        owner (or an admin) may: another project's image answers
        AuthFailure, an unknown one InvalidAMIID.NotFound.
        """
        if not image_id:
            raise ec2utils.missing('ImageId')
        image = self._owned_image(context, str(image_id))
        new_name = display_name if display_name is not None else name
        new_description = display_description \
            if display_description is not None else description
        values = {}
        if new_name is not None:
            values['name'] = str(new_name)
        if new_description is not None:
            props = dict(image.get('properties') or {})
            props['description'] = str(new_description)
            values['properties'] = props
        if values:
            self.image_service.update(context, image['id'], values)
        return True

    def deregister_image(self, context, image_id=None, **kwargs):
        """DeregisterImage: delete the image from the image service."""
        if not image_id:
            raise ec2utils.missing('ImageId')
        image = self._owned_image(context, image_id)
        self.image_service.delete(context, image['id'])
        db.tag_delete_by_resources(context, [ec2utils.image_ec2_id(
            image['id'], ec2utils.image_prefix(image))])
        return True

    #: DescribeImageAttribute's attributes (Diablo's, plus AWS's extras)
    DESCRIBABLE = ('launchPermission', 'kernel', 'ramdisk', 'description',
                   'blockDeviceMapping', 'rootDeviceName', 'productCodes')

    def describe_image_attribute(self, context, image_id=None,
                                 attribute=None, **kwargs):
        """DescribeImageAttribute: launchPermission, kernel, ramdisk, ...

        Only the owner (or an admin) reads them: another project's public
        image answers AuthFailure, as AWS does.
        """
        if not image_id:
            raise ec2utils.missing('ImageId')
        if not attribute:
            raise ec2utils.missing('Attribute')
        if attribute not in self.DESCRIBABLE:
            raise ec2utils.EC2APIError(
                'Attribute %s is not supported' % attribute,
                ec2_code='InvalidRequest')
        image = self._owned_image(context, image_id)
        item = self.format_image(image)
        result = {'imageId': item['imageId']}
        if attribute == 'launchPermission':
            result['launchPermission'] = (
                [{'group': 'all'}] if image.get('is_public') else [])
        elif attribute in ('kernel', 'ramdisk', 'description'):
            key = {'kernel': 'kernelId', 'ramdisk': 'ramdiskId'}.get(
                attribute, attribute)
            result[attribute] = {'value': item.get(key)}
        elif attribute == 'rootDeviceName':
            result['rootDeviceName'] = {'value': item['rootDeviceName']}
        else:
            result[attribute] = []
        return result

    def modify_image_attribute(self, context, image_id=None, attribute=None,
                               operation_type=None, user_group=None,
                               launch_permission=None, description=None,
                               **kwargs):
        """ModifyImageAttribute: make public/private; set the description.

        The request is checked before the image's owner, in the order the
        EC2 conformance suite expects of AWS.
        """
        if not image_id:
            raise ec2utils.missing('ImageId')
        groups = [str(g) for g in ec2utils.as_list(user_group)]
        if isinstance(launch_permission, dict):
            for op in ('add', 'remove'):
                for entry in ec2utils.as_list(launch_permission.get(op)):
                    if isinstance(entry, dict) and entry.get('group'):
                        operation_type = op
                        groups.append(str(entry['group']))
        attribute = attribute or (
            'description' if description is not None else
            'launchPermission' if groups or launch_permission else None)
        self._check_modification(attribute, description, groups,
                                 operation_type)
        image = self._owned_image(context, image_id)
        if attribute == 'description':
            value = description.get('value') if isinstance(
                description, dict) else description
            props = dict(image.get('properties') or {})
            props['description'] = value
            self.image_service.update(context, image['id'],
                                      {'properties': props})
            return True
        self.image_service.update(context, image['id'],
                                  {'is_public': operation_type == 'add'})
        return True

    @staticmethod
    def _check_modification(attribute, description, groups, operation_type):
        """The codes AWS gives a ModifyImageAttribute it cannot apply."""
        if attribute is None:
            raise ec2utils.EC2APIError(
                'No attribute to modify was given',
                ec2_code='InvalidParameterCombination')
        if attribute == 'blockDeviceMapping':
            raise ec2utils.EC2APIError(
                'blockDeviceMapping cannot be modified',
                ec2_code='InvalidParameter')
        if attribute == 'productCodes':
            raise ec2utils.EC2APIError(
                'attribute %s is not supported' % attribute,
                ec2_code='InvalidRequest')
        if attribute not in ('description', 'launchPermission'):
            raise ec2utils.EC2APIError(
                'attribute %s cannot be modified' % attribute,
                ec2_code='InvalidParameterCombination')
        if attribute == 'description':
            if description is None:
                raise ec2utils.missing('Description')
            return
        if not groups or operation_type is None:
            raise ec2utils.EC2APIError(
                'launchPermission needs an operation and a group',
                ec2_code='InvalidParameterCombination')
        if any(g != 'all' for g in groups):
            raise ec2utils.invalid_value('UserGroup', ','.join(groups),
                                         'Only the group "all" is supported')
        if operation_type not in ('add', 'remove'):
            raise ec2utils.invalid_value('OperationType', operation_type)

    def reset_image_attribute(self, context, image_id=None, attribute=None,
                              **kwargs):
        """ResetImageAttribute launchPermission: the image becomes private."""
        if not image_id:
            raise ec2utils.missing('ImageId')
        if attribute != 'launchPermission':
            raise ec2utils.EC2APIError(
                'attribute %s cannot be reset' % attribute,
                ec2_code='InvalidRequest')
        image = self._owned_image(context, image_id)
        self.image_service.update(context, image['id'], {'is_public': False})
        return True
