"""What RunInstances takes beyond Diablo: ``ClientToken``,
``DisableApiTermination``, ``InstanceInitiatedShutdownBehavior`` and
``TagSpecification.N``.
"""

from nova import exception
from nova.api.ec2 import ec2utils
from nova.api.ec2.cloud import tags

#: AWS's longest client token.
MAX_CLIENT_TOKEN = 64
#: TagSpecification resource types RunInstances accepts.
_TAGGABLE_AT_LAUNCH = ('instance', 'volume')


def client_token(kwargs):
    """The request's ``ClientToken`` (None when absent)."""
    token = kwargs.get('client_token')
    if token in (None, ''):
        return None
    token = str(token)
    if len(token) > MAX_CLIENT_TOKEN:
        raise ec2utils.invalid_value(
            'ClientToken', token[:16] + '...',
            'Client tokens are at most %d characters' % MAX_CLIENT_TOKEN)
    return token


def instance_values(kwargs):
    """Columns of the new instances from the attribute parameters."""
    values = {}
    if kwargs.get('disable_api_termination') is not None:
        values['disable_terminate'] = ec2utils.to_bool(
            kwargs['disable_api_termination'], 'DisableApiTermination')
    behaviour = kwargs.get('instance_initiated_shutdown_behavior')
    if behaviour is not None:
        if behaviour not in ('stop', 'terminate'):
            raise ec2utils.invalid_value('InstanceInitiatedShutdownBehavior',
                                         behaviour)
        values['shutdown_terminate'] = behaviour == 'terminate'
    return values


def instance_tags(kwargs):
    """``[(key, value)]`` for the new instances from TagSpecification.N."""
    result = []
    for spec in ec2utils.as_list(kwargs.get('tag_specification')):
        if not isinstance(spec, dict):
            raise ec2utils.missing('TagSpecification.N.ResourceType')
        rtype = spec.get('resource_type')
        if rtype is None:
            raise ec2utils.missing('TagSpecification.N.ResourceType')
        if rtype not in _TAGGABLE_AT_LAUNCH:
            raise ec2utils.invalid_value(
                'TagSpecification.N.ResourceType', rtype,
                'RunInstances tags instances and volumes')
        pairs = tags.parse_tags(spec.get('tag'))
        if rtype == 'instance':
            result.extend((k, '' if v is None else v) for k, v in pairs)
    if len(dict(result)) > tags.MAX_TAGS:
        raise exception.TagLimitExceeded(limit=tags.MAX_TAGS)
    return result


def same_launch(existing, args):
    """Whether instances made under a token match a repeated request."""
    first = existing[0]
    flavor = args['instance_type']
    checks = [
        str(first['image_ref']) == str(args['image_href']),
        first['instance_type_id'] == flavor['id'],
        (first['key_name'] or None) == (args.get('key_name') or None),
        (first['user_data'] or None) == (args.get('user_data') or None),
        args['min_count'] <= len(existing) <= args['max_count'],
    ]
    return all(checks)
