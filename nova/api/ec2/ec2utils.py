"""EC2 identifiers, parameter decoding and state names.

* ids: ``i-%08x`` (instances), ``ami-``/``aki-``/``ari-`` (images, typed by
  their container format), ``vol-``, ``snap-``, ``sg-`` of integer ids;
* parameters: ``Filter.1.Value.2=x`` becomes
  ``{'filter': [{'value': [..., 'x']}]}`` (numbered members become lists,
  ordered by number);
* states: the AWS ``instanceState`` name and code of an instance's
  vm_state/task_state (modern clients wait on AWS's names and codes).
"""

import base64
import binascii
import datetime
import fnmatch
import re

from nova import exception


# -- EC2 errors of the API layer ---------------------------------------------
class EC2APIError(exception.NovaException):
    """An error answered with an explicit EC2 code (HTTP 400)."""

    message = 'Unknown error.'
    code = 400

    def __init__(self, message=None, ec2_code=None, **kwargs):
        if ec2_code:
            self.ec2_code = ec2_code
        super(EC2APIError, self).__init__(message, **kwargs)


class InvalidEc2Id(EC2APIError):
    """An id that does not parse as ``<prefix>-<hex>``."""

    message = "Invalid id: '%(ec2_id)s'"
    ec2_code = 'InvalidID'


class InvalidInstanceIDMalformed(InvalidEc2Id):
    """An instance id that is not ``i-<hex>``."""

    message = "Invalid id: '%(ec2_id)s' (expecting 'i-...')"
    ec2_code = 'InvalidInstanceID.Malformed'


class InvalidAMIIDMalformed(InvalidEc2Id):
    """An image id that is not ``ami-``/``aki-``/``ari-<hex>``."""

    message = "Invalid id: '%(ec2_id)s' (expecting 'ami-...')"
    ec2_code = 'InvalidAMIID.Malformed'


class InvalidGroupIdMalformed(InvalidEc2Id):
    """A security group id that is not ``sg-<hex>``."""

    message = "Invalid id: '%(ec2_id)s' (expecting 'sg-...')"
    ec2_code = 'InvalidGroupId.Malformed'


class InvalidAction(EC2APIError):
    """The Action names nothing this endpoint serves."""

    message = 'The action %(action)s is not valid for this web service.'
    ec2_code = 'InvalidAction'


class UnknownParameter(EC2APIError):
    """A parameter the action does not take."""

    message = 'The parameter %(param)s is not recognized'
    ec2_code = 'UnknownParameter'


class Unsupported(EC2APIError):
    """A valid EC2 request this cloud does not support."""

    message = 'The requested operation is not supported: %(reason)s'
    ec2_code = 'Unsupported'


def invalid_value(name, value, reason=''):
    """An ``InvalidParameterValue`` error about one parameter."""
    text = "Invalid value '%s' for %s" % (value, name)
    if reason:
        text += '. %s' % reason
    return exception.InvalidParameterValue(err=text)


def missing(param):
    """A ``MissingParameter`` error."""
    return exception.MissingParameter(param=param)


# -- names ---------------------------------------------------------------------
_CAMEL_RE = re.compile(r'((?<=[a-z0-9])[A-Z]|(?<!^)[A-Z](?=[a-z]))')


def camelcase_to_underscore(text):
    """``DescribeInstancesV6`` -> ``describe_instances_v6``."""
    return _CAMEL_RE.sub(r'_\1', text).lower()


def underscore_to_camelcase(text):
    """``public_ip`` -> ``publicIp``; ``InstanceId`` -> ``instanceId``."""
    if '_' in text:
        text = ''.join(part[:1].upper() + part[1:]
                       for part in text.split('_'))
    return text[:1].lower() + text[1:]


# -- ids -----------------------------------------------------------------------
def id_to_ec2_id(int_id, template='i-%08x'):
    """The EC2 id of an integer id."""
    return template % int(int_id)


#: prefix -> (EC2 code, message) for a well-formed id of nothing here.
_NOT_FOUND = {
    'i': ('InvalidInstanceID.NotFound', "The instance ID '%s' does not exist"),
    'ami': ('InvalidAMIID.NotFound', "The image id '%s' does not exist"),
    'aki': ('InvalidAMIID.NotFound', "The image id '%s' does not exist"),
    'ari': ('InvalidAMIID.NotFound', "The image id '%s' does not exist"),
    'sg': ('InvalidGroup.NotFound', "The security group '%s' does not exist"),
    'vol': ('InvalidVolume.NotFound', "The volume '%s' does not exist."),
    'snap': ('InvalidSnapshot.NotFound', "The snapshot '%s' does not exist."),
}


def ec2_id_to_id(ec2_id, prefixes=None, error=InvalidEc2Id):
    """The integer behind ``<prefix>-<hex>``; ``error`` for garbage.

    ``prefixes`` (a tuple) restricts the accepted prefixes.  A well-formed
    id beyond this cloud's ids (``ami-99999999``, AWS's 17-digit ids) is
    the kind's NotFound, not Malformed: it is a valid id of nothing.
    """
    text = str(ec2_id).strip()
    prefix, sep, number = text.rpartition('-')
    if not sep or not number or (prefixes and prefix not in prefixes):
        raise error(ec2_id=ec2_id)
    try:
        value = int(number, 16)
    except ValueError:
        raise error(ec2_id=ec2_id)
    if value < 0 or len(number) > 17:
        raise error(ec2_id=ec2_id)
    if value > 0x7fffffff:
        code, message = _NOT_FOUND.get(prefix, (None, None))
        if code is None:
            raise error(ec2_id=ec2_id)
        raise EC2APIError(message % text, ec2_code=code)
    return value


def instance_id_to_ec2(instance_id):
    """``i-%08x``."""
    return id_to_ec2_id(instance_id, 'i-%08x')


def ec2_instance_id_to_id(ec2_id):
    """The instance's integer id; InvalidInstanceID.Malformed for garbage."""
    return ec2_id_to_id(ec2_id, ('i',), InvalidInstanceIDMalformed)


_IMAGE_PREFIX = {'aki': 'aki', 'kernel': 'aki', 'ari': 'ari',
                 'ramdisk': 'ari'}
IMAGE_TYPES = {'ami': 'machine', 'aki': 'kernel', 'ari': 'ramdisk'}


def image_prefix(image_or_type):
    """``ami``, ``aki`` or ``ari`` of an image dict or a type name."""
    if isinstance(image_or_type, dict):
        image_or_type = image_or_type.get('container_format')
    return _IMAGE_PREFIX.get(image_or_type or '', 'ami')


def image_ec2_id(image_id, image_type='ami'):
    """``ami-%08x`` (or aki/ari) of an image id; ``ami-00000000`` if odd."""
    prefix = image_prefix(image_type)
    try:
        return '%s-%08x' % (prefix, int(image_id))
    except (TypeError, ValueError):
        return '%s-00000000' % prefix


def ec2_image_id_to_id(ec2_id):
    """``(prefix, integer id)`` of an image id."""
    prefix = str(ec2_id).strip().rpartition('-')[0]
    number = ec2_id_to_id(ec2_id, ('ami', 'aki', 'ari'),
                          InvalidAMIIDMalformed)
    return prefix, number


def group_ec2_id(group_id):
    """``sg-%08x`` of a security group id."""
    return 'sg-%08x' % int(group_id)


def ec2_group_id_to_id(group_id):
    """The integer of ``sg-<hex>`` (a bare integer is accepted too)."""
    text = str(group_id).strip()
    if text.isascii() and text.isdigit():
        number = int(text)
        if number > 0x7fffffff:
            # No such row can exist, and the database cannot take it.
            raise InvalidGroupIdMalformed(ec2_id=text)
        return number
    return ec2_id_to_id(text, ('sg',), InvalidGroupIdMalformed)


# -- values --------------------------------------------------------------------
def to_int(value, name, minimum=None, maximum=None):
    """``value`` as an int, or InvalidParameterValue naming ``name``."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise invalid_value(name, value)
    if (minimum is not None and number < minimum) or \
            (maximum is not None and number > maximum):
        raise invalid_value(name, value)
    return number


def to_bool(value, name='value'):
    """``true``/``false`` (any case, or a bool) as a bool."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('true', '1', 'yes'):
        return True
    if text in ('false', '0', 'no', ''):
        return False
    raise invalid_value(name, value)


def as_list(value):
    """A parameter that may be given once or numbered, as a list."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def decode_base64(text, name='UserData'):
    """Strict base64 decoding; InvalidParameterValue for garbage."""
    if isinstance(text, str):
        text = text.strip().encode('ascii', 'replace')
    compact = re.sub(rb'\s+', b'', text)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise exception.InvalidParameterValue(
            err='Invalid BASE64 encoding of %s.' % name)


def isotime(value):
    """ISO 8601 UTC text with ``Z`` (or None)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.strftime('%Y-%m-%dT%H:%M:%S.000Z')


# -- parameters ---------------------------------------------------------------
def _is_index(key):
    """An ASCII number (``'\u00b2'.isdigit()`` is true, but no index)."""
    return isinstance(key, str) and key.isascii() and key.isdigit()


def _listify(node):
    if isinstance(node, dict):
        for key in list(node):
            node[key] = _listify(node[key])
        if node and all(_is_index(k) for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def unflatten(params):
    """Nested keyword arguments from flattened query parameters.

    Every dotted part is underscored (``IpPermissions`` ->
    ``ip_permissions``); a dict whose keys are all numbers becomes a list
    ordered by number, at any depth.
    """
    args = {}
    for key, value in params.items():
        parts = [camelcase_to_underscore(p) for p in key.split('.')]
        node = args
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise exception.InvalidParameterValue(
                    err='Parameter %s conflicts with another parameter'
                    % key)
            node = child
        leaf = parts[-1]
        if isinstance(node.get(leaf), dict):
            raise exception.InvalidParameterValue(
                err='Parameter %s conflicts with another parameter' % key)
        node[leaf] = value
    return _listify(args)


def filters_from(args_filter):
    """``{name: [values]}`` from the unflattened ``Filter.N.*``."""
    result = {}
    for item in as_list(args_filter):
        if not isinstance(item, dict) or 'name' not in item:
            raise missing('Filter.N.Name')
        values = [str(v) for v in as_list(item.get('value'))]
        result.setdefault(str(item['name']), []).extend(values)
    return result


def value_matches(patterns, value):
    """AWS filter semantics: any pattern matches (``*``/``?`` wildcards)."""
    if isinstance(value, (list, tuple, set)):
        return any(value_matches(patterns, v) for v in value)
    if value is None:
        return False
    if isinstance(value, bool):
        value = 'true' if value else 'false'
    text = str(value)
    for pattern in patterns:
        if '*' in pattern or '?' in pattern:
            if fnmatch.fnmatchcase(text, pattern):
                return True
        elif text == pattern:
            return True
    return False


def apply_filters(items, filters, getters):
    """The items that pass every filter; ``getters`` maps names to funcs.

    A filter name outside ``getters`` is InvalidParameterValue (AWS's
    answer to an unsupported filter), never an internal error.
    """
    for name in filters:
        if name not in getters:
            raise exception.InvalidParameterValue(
                err="The filter '%s' is invalid" % name)
    if not filters:
        return list(items)
    return [item for item in items
            if all(value_matches(patterns, getters[name](item))
                   for name, patterns in filters.items())]


# -- instance states ---------------------------------------------------------------
PENDING = (0, 'pending')
RUNNING = (16, 'running')
SHUTTING_DOWN = (32, 'shutting-down')
TERMINATED = (48, 'terminated')
STOPPING = (64, 'stopping')
STOPPED = (80, 'stopped')
# An instance in error is not coming up: its code must not be 0 (pending).
# The high byte is AWS's "internal" byte that clients ignore, so 336 reads
# as 80 (stopped) to a client that masks it, and as itself to one that not.
ERROR = (256 + 80, 'error')

_BY_VM_STATE = {
    None: PENDING,
    'building': PENDING,
    'rebuilding': PENDING,
    'active': RUNNING,
    'rescued': RUNNING,
    'migrating': RUNNING,
    'resizing': RUNNING,
    'paused': STOPPED,
    'suspended': STOPPED,
    'stopped': STOPPED,
    'deleted': TERMINATED,
    'error': ERROR,
}

_BY_TASK_STATE = {
    'deleting': SHUTTING_DOWN,
    'stopping': STOPPING,
    'starting': PENDING,
}


def instance_state(vm_state, task_state=None):
    """``(code, name)``: AWS's codes and names (``error`` kept as is)."""
    if vm_state == 'deleted':
        return TERMINATED
    if task_state in _BY_TASK_STATE:
        return _BY_TASK_STATE[task_state]
    return _BY_VM_STATE.get(vm_state, (0, str(vm_state)))
