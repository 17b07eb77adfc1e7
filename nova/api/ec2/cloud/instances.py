"""Instance actions: Run/Describe/Terminate/Reboot/Stop/Start and friends.

Every action that names instances resolves *all* of them first (so an
unknown or malformed id fails the whole request before anything is done),
then acts through ``nova.compute.api``.
"""

import base64

from nova import db
from nova import exception
from nova import flags
from nova import utils
from nova.api.ec2 import ec2utils
from nova.api.ec2 import paging
from nova.api.ec2.cloud import instance_view
from nova.api.ec2.cloud import launch_options
from nova.api.ec2.cloud import tags
from nova.api.ec2.cloud import terminated
from nova.compute import instance_types

FLAGS = flags.FLAGS


def _instance_ids(instance_id, name='InstanceId'):
    ids = [str(i) for i in ec2utils.as_list(instance_id) if i != '']
    if not ids:
        raise ec2utils.missing(name)
    return ids


def _one_id(instance_id):
    ids = _instance_ids(instance_id)
    return ids[0]


class InstanceActions(object):
    """EC2 instance actions."""

    def _lookup(self, context, ec2_ids):
        """``[(ec2_id, instance)]``; the first bad id fails them all."""
        numbers = [(ec2_id, ec2utils.ec2_instance_id_to_id(ec2_id))
                   for ec2_id in ec2_ids]
        # Read together: one list's queries, not one instance's each.
        instances = self.compute_api.get_many(
            context, [number for _ec2_id, number in numbers])
        return [(ec2_id, instance) for (ec2_id, _n), instance
                in zip(numbers, instances)]

    def _faults(self, context, instances):
        errored = [i['id'] for i in instances if i['vm_state'] == 'error']
        if not errored:
            return {}
        return db.instance_fault_get_latest_by_instances(context, errored)

    # -- describe ----------------------------------------------------------------
    def describe_instances(self, context, instance_id=None, filter=None,
                           max_results=None, next_token=None, **kwargs):
        """DescribeInstances: reservations with their instances.

        ``MaxResults``/``NextToken`` page over instances (keyset paging in
        SQL, newest first); tag filters are answered from the tags table.
        """
        filters, tag_filters = tags.split_filters(
            ec2utils.filters_from(filter))
        for name in filters:
            if name not in instance_view.FILTERS:
                raise exception.InvalidParameterValue(
                    err="The filter '%s' is invalid" % name)
        search = {}
        ec2_ids = [str(i) for i in ec2utils.as_list(instance_id)]
        page = paging.page_of(context, 'DescribeInstances', max_results,
                              next_token, ids=ec2_ids)
        numbers = [ec2utils.ec2_instance_id_to_id(i) for i in ec2_ids]
        tagged = None
        if tag_filters:
            tagged = set(db.tag_instance_ids(context, tag_filters))
        if numbers:
            search['instance_id'] = numbers
        elif tagged is not None:
            if not tagged:
                return {'reservationSet': []}
            search['instance_id'] = sorted(tagged)
        instances = self.compute_api.get_listing(context, search,
                                                 page.marker, page.fetch)
        instances, token = page.split(instances, lambda i: i['id'])
        if not page.paged:
            # Pages hold live instances only; a whole listing (or a look-up
            # by id) also shows those terminated within the window.
            instances = terminated.with_recently_terminated(
                self.compute_api, context, search, instances)
        if numbers:
            found = set(i['id'] for i in instances)
            for number in numbers:
                if number not in found:
                    raise exception.InstanceNotFound(instance_id=number)
            if tagged is not None:
                instances = [i for i in instances if i['id'] in tagged]
        if not context.is_admin and getattr(FLAGS, 'vpn_image_id', None):
            instances = [i for i in instances
                         if str(i['image_ref']) != str(FLAGS.vpn_image_id)]
        view = instance_view.InstanceView(context)
        tag_map = tags.tag_sets(context, [ec2utils.instance_id_to_ec2(i['id'])
                                          for i in instances], 'instance')
        reservations = view.reservations(instances,
                                         self._faults(context, instances),
                                         tag_map)
        return paging.answer(
            'reservationSet',
            instance_view.filter_reservations(reservations, filters), token)

    # -- run ----------------------------------------------------------------
    def _run_args(self, context, kwargs):
        image_ec2 = kwargs.get('image_id')
        if not image_ec2:
            raise ec2utils.missing('ImageId')
        max_count = ec2utils.to_int(kwargs.get('max_count', 1), 'MaxCount',
                                    minimum=1)
        min_count = ec2utils.to_int(kwargs.get('min_count', max_count),
                                    'MinCount', minimum=1)
        if min_count > max_count:
            raise exception.InvalidParameterValue(
                err='MinCount (%d) must be less than or equal to MaxCount '
                '(%d)' % (min_count, max_count))
        type_name = kwargs.get('instance_type') or FLAGS.default_instance_type
        try:
            instance_type = instance_types.get_instance_type_by_name(
                str(type_name))
        except exception.NotFound:
            raise ec2utils.invalid_value('InstanceType', type_name)
        image = self.get_image(context, image_ec2)
        if ec2utils.image_prefix(image) != 'ami':
            raise ec2utils.invalid_value('ImageId', image_ec2,
                                         'Not a machine image')
        from nova.api.ec2.cloud import images
        if images.image_state(image) != 'available':
            raise ec2utils.invalid_value('ImageId', image_ec2,
                                         'Image must be available')
        kernel_id = ramdisk_id = None
        if kwargs.get('kernel_id'):
            kernel_id = self.get_image(context, kwargs['kernel_id'])['id']
        if kwargs.get('ramdisk_id'):
            ramdisk_id = self.get_image(context, kwargs['ramdisk_id'])['id']
        user_data = kwargs.get('user_data')
        if user_data:
            ec2utils.decode_base64(user_data, 'UserData')
        key_name = kwargs.get('key_name') or None
        key_data = None
        if key_name:
            key_data = db.key_pair_get(context, context.user_id,
                                       str(key_name))['public_key']
        groups = [str(g) for g in ec2utils.as_list(
            kwargs.get('security_group'))]
        for gid in ec2utils.as_list(kwargs.get('security_group_id')):
            group = self._group_by_id(context, gid)
            groups.append(group['name'])
        for name in groups:
            self._group_by_name(context, name)
        from nova.api.ec2.cloud import volumes
        mappings = volumes.block_device_mapping(
            kwargs.get('block_device_mapping'))
        placement = kwargs.get('placement') or {}
        zone = placement.get('availability_zone') if isinstance(
            placement, dict) else None
        return dict(instance_type=instance_type, image_href=image['id'],
                    kernel_id=kernel_id, ramdisk_id=ramdisk_id,
                    min_count=min_count, max_count=max_count,
                    display_name=kwargs.get('display_name') or '',
                    display_description=kwargs.get('display_description')
                    or '',
                    key_name=key_name, key_data=key_data,
                    security_group=groups or ['default'],
                    availability_zone=zone or None,
                    user_data=user_data or None,
                    block_device_mapping=mappings)

    def run_instances(self, context, **kwargs):
        """RunInstances: launch MinCount..MaxCount instances of an image.

        A ``ClientToken`` already used by the project answers the launch it
        made (IdempotentParameterMismatch when the request differs);
        ``TagSpecification.N`` tags the new instances.
        """
        token = launch_options.client_token(kwargs)
        values = launch_options.instance_values(kwargs)
        launch_tags = launch_options.instance_tags(kwargs)
        args = self._run_args(context, kwargs)
        if token:
            existing = self.compute_api.get_by_client_token(context, token)
            if existing:
                return self._repeated_launch(context, token, existing, args)
        instances = self.compute_api.create(context, client_token=token,
                                            instance_values=values, **args)
        if token and instances and \
                not launch_options.same_launch(instances, args):
            raise exception.IdempotentParameterMismatch(token=token)
        tag_map = {}
        if launch_tags:
            resources = [('instance', ec2utils.instance_id_to_ec2(i['id']))
                         for i in instances]
            self._set_tags(context, resources, launch_tags)
            tag_map = tags.tag_sets(context, [r[1] for r in resources])
        view = instance_view.InstanceView(context)
        reservations = view.reservations(instances, tag_sets=tag_map)
        if not reservations:
            raise exception.NovaException('no instance was created')
        return reservations[0]

    def _repeated_launch(self, context, token, existing, args):
        if not launch_options.same_launch(existing, args):
            raise exception.IdempotentParameterMismatch(token=token)
        view = instance_view.InstanceView(context)
        tag_map = tags.tag_sets(context, [ec2utils.instance_id_to_ec2(
            i['id']) for i in existing])
        return view.reservations(existing, tag_sets=tag_map)[0]

    # -- state changes ----------------------------------------------------------
    def _state_changes(self, context, instance_id, method, current):
        pairs = self._lookup(context, _instance_ids(instance_id))
        view = instance_view.InstanceView(context)
        changes = []
        for ec2_id, instance in pairs:
            previous = view.state(instance)
            method(context, instance['id'])
            code, name = current
            changes.append({'instanceId': ec2_id,
                            'currentState': {'code': code, 'name': name},
                            'previousState': previous})
        return {'instancesSet': changes}

    def terminate_instances(self, context, instance_id=None, **kwargs):
        """TerminateInstances: shutting-down, then gone.

        An instance whose ``disableApiTermination`` is set refuses (and so
        does the whole request, before anything is terminated); so does a
        locked instance, unless the caller is an administrator
        (``IncorrectInstanceState``: Diablo's compute manager skipped it
        silently, this API says so).
        """
        pairs = self._lookup(context, _instance_ids(instance_id))
        for ec2_id, instance in pairs:
            self.compute_api.check_unlocked(context, instance, 'terminate')
            if instance['disable_terminate']:
                raise exception.OperationNotPermitted(
                    reason="The instance '%s' may not be terminated. Modify "
                    "its 'disableApiTermination' instance attribute and try "
                    "again." % ec2_id)
        view = instance_view.InstanceView(context)
        code, name = ec2utils.SHUTTING_DOWN
        changes = [{'instanceId': ec2_id,
                    'currentState': {'code': code, 'name': name},
                    'previousState': view.state(instance)}
                   for ec2_id, instance in pairs]
        # The instances just read, terminated together (one transaction).
        self.compute_api.delete_many(context, [i for _e, i in pairs])
        return {'instancesSet': changes}

    def stop_instances(self, context, instance_id=None, force=None,
                       **kwargs):
        """StopInstances."""
        return self._state_changes(context, instance_id,
                                   self.compute_api.stop, ec2utils.STOPPING)

    def start_instances(self, context, instance_id=None, **kwargs):
        """StartInstances."""
        return self._state_changes(context, instance_id,
                                   self.compute_api.start, ec2utils.PENDING)

    def reboot_instances(self, context, instance_id=None, **kwargs):
        """RebootInstances: true (``IncorrectInstanceState`` for a locked
        instance, before any is rebooted, unless the caller is an admin)."""
        found = self._lookup(context, _instance_ids(instance_id))
        for _ec2_id, instance in found:
            self.compute_api.check_unlocked(context, instance, 'reboot')
        for _ec2_id, instance in found:
            self.compute_api.reboot(context, instance['id'])
        return True

    def rescue_instance(self, context, instance_id=None, **kwargs):
        """RescueInstance (Nova extension): true."""
        _ec2_id, instance = self._lookup(context, [_one_id(instance_id)])[0]
        self.compute_api.rescue(context, instance['id'])
        return True

    def unrescue_instance(self, context, instance_id=None, **kwargs):
        """UnrescueInstance (Nova extension): true."""
        _ec2_id, instance = self._lookup(context, [_one_id(instance_id)])[0]
        self.compute_api.unrescue(context, instance['id'])
        return True

    def update_instance(self, context, instance_id=None, display_name=None,
                        display_description=None, **kwargs):
        """UpdateInstance (Nova extension): display name and description."""
        _ec2_id, instance = self._lookup(context, [_one_id(instance_id)])[0]
        values = {}
        if display_name is not None:
            values['display_name'] = str(display_name)
        if display_description is not None:
            values['display_description'] = str(display_description)
        if values:
            self.compute_api.update(context, instance['id'], **values)
        return True

    def get_console_output(self, context, instance_id=None, **kwargs):
        """GetConsoleOutput: base64 of the console text."""
        ec2_id = _one_id(instance_id)
        _ec2_id, instance = self._lookup(context, [ec2_id])[0]
        output = self.compute_api.get_console_output(context, instance['id'])
        if isinstance(output, str):
            output = output.encode('utf-8', 'replace')
        return {'instanceId': ec2_id,
                'timestamp': utils.utcnow(),
                'output': base64.b64encode(output or b'').decode('ascii')}
