"""Nova exceptions as EC2 errors: code, message and HTTP status.

A :class:`nova.exception.NovaException` names its EC2 code in ``ec2_code``;
the table below covers classes that do not (and those raised on the far side
of an RPC call, which arrive as ``RemoteError`` with the class name).
Authentication failures answer 403 ``AuthFailure`` (Diablo answered 403
Forbidden, as the admin manual says), refused actions 403
``UnauthorizedOperation``, client errors 400; anything unexpected is a 500
``InternalError`` with a generic message, and its traceback stays in the log.
"""

import logging

import webob

from nova import exception
from nova.api import fault_guard
from nova.api.ec2 import apirequest
from nova.api.ec2 import ec2utils

LOG = logging.getLogger('nova.api.ec2.faults')

GENERIC_MESSAGE = ('An unknown error has occurred. Please try your request '
                   'again.')

SERVICE_UNAVAILABLE = 'ServiceUnavailable'
UNAVAILABLE_MESSAGE = ('The service is unavailable at this time. Please '
                       'try your request again later.')

#: EC2 codes of exception classes (by name) that carry none themselves.
CODES_BY_CLASS = {
    'InstanceNotFound': 'InvalidInstanceID.NotFound',
    'KeypairNotFound': 'InvalidKeyPair.NotFound',
    'KeyPairExists': 'InvalidKeyPair.Duplicate',
    'ImageNotFound': 'InvalidAMIID.NotFound',
    'ImageNotFoundEC2': 'InvalidAMIID.NotFound',
    'SecurityGroupNotFound': 'InvalidGroup.NotFound',
    'SecurityGroupNotFoundForProject': 'InvalidGroup.NotFound',
    'SecurityGroupNotFoundForRule': 'InvalidGroup.NotFound',
    'SecurityGroupExists': 'InvalidGroup.Duplicate',
    'SecurityGroupRuleExists': 'InvalidPermission.Duplicate',
    'SecurityGroupRuleNotFound': 'InvalidPermission.NotFound',
    'SecurityGroupInUse': 'InvalidGroup.InUse',
    'VolumeNotFound': 'InvalidVolume.NotFound',
    'SnapshotNotFound': 'InvalidSnapshot.NotFound',
    'FloatingIpNotFound': 'InvalidAddress.NotFound',
    'NoMoreFloatingIps': 'AddressLimitExceeded',
    'InstanceTypeNotFound': 'InvalidParameterValue',
    'InstanceTypeNotFoundByName': 'InvalidParameterValue',
    'FlavorNotFound': 'InvalidParameterValue',
    'InstanceInvalidState': 'IncorrectInstanceState',
    'InstanceNotRunning': 'IncorrectInstanceState',
    'QuotaError': 'InstanceLimitExceeded',
    'NoMoreFixedIps': 'InsufficientInstanceCapacity',
    'NoValidHost': 'InsufficientInstanceCapacity',
    'InvalidPortRange': 'InvalidParameterValue',
    'InvalidIpProtocol': 'InvalidParameterValue',
    'InvalidCidr': 'InvalidParameterValue',
    'NotAuthorized': 'UnauthorizedOperation',
    'AdminRequired': 'UnauthorizedOperation',
    'RpcTimeout': SERVICE_UNAVAILABLE,
    'RpcUnavailable': SERVICE_UNAVAILABLE,
    'DBUnavailable': SERVICE_UNAVAILABLE,
    'ServiceUnavailable': SERVICE_UNAVAILABLE,
}

AUTH_FAILURE = 'AuthFailure'
AUTH_FAILURE_STATUS = 403
STATUS_BY_CODE = {
    AUTH_FAILURE: AUTH_FAILURE_STATUS,
    'UnauthorizedOperation': 403,
    'InternalError': 500,
    'RequestEntityTooLarge': 413,
    'Unavailable': 503,
    SERVICE_UNAVAILABLE: 503,
}


def _instance_message(exc):
    instance_id = getattr(exc, 'kwargs', {}).get('instance_id')
    try:
        ec2_id = ec2utils.instance_id_to_ec2(instance_id)
    except (TypeError, ValueError):
        ec2_id = instance_id
    return "The instance ID '%s' does not exist" % ec2_id


def _class_named(name):
    cls = getattr(exception, name, None)
    if isinstance(cls, type) and issubclass(cls, exception.NovaException):
        return cls
    return None


def _code_of(cls, exc=None):
    code = getattr(exc, 'ec2_code', None) if exc is not None else None
    code = code or getattr(cls, 'ec2_code', None)
    if code:
        return code
    for klass in cls.__mro__:
        if klass.__name__ in CODES_BY_CLASS:
            return CODES_BY_CLASS[klass.__name__]
    if issubclass(cls, exception.NotAuthorized):
        return 'UnauthorizedOperation'
    if issubclass(cls, exception.Invalid):
        return 'InvalidParameterValue'
    if issubclass(cls, exception.NotFound):
        return cls.__name__
    if issubclass(cls, (exception.Duplicate, exception.AlreadyExists)):
        return cls.__name__
    status = getattr(exc if exc is not None else cls, 'code', 500)
    if isinstance(status, int) and 400 <= status < 500:
        return cls.__name__
    return None


#: whether an exception means a service the API needs (the database, the
#: message broker, a daemon that must answer) is unreachable for now.
is_outage = fault_guard.is_outage


def ec2_error(exc):
    """``(http_status, code, message)`` for an exception."""
    if is_outage(exc):
        # Never the driver's words: they name hosts, ports and paths.
        return 503, SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE
    if not isinstance(exc, exception.NovaException):
        return 500, 'InternalError', GENERIC_MESSAGE
    if type(exc).__name__ == 'RemoteError':
        remote = _class_named(getattr(exc, 'exc_type', '') or '')
        code = _code_of(remote) if remote is not None else None
        if code is None:
            return 500, 'InternalError', GENERIC_MESSAGE
        value = getattr(exc, 'value', None)
        return STATUS_BY_CODE.get(code, 400), code, str(value or code)
    code = _code_of(type(exc), exc)
    if code is None:
        return 500, 'InternalError', GENERIC_MESSAGE
    message = str(exc)
    kwargs = getattr(exc, 'kwargs', {}) or {}
    if code == 'InvalidInstanceID.NotFound' and 'instance_id' in kwargs:
        message = _instance_message(exc)
    elif isinstance(kwargs.get('instance_id'), int):
        try:
            message = type(exc).message % dict(
                kwargs, instance_id=ec2utils.instance_id_to_ec2(
                    kwargs['instance_id']))
        except (KeyError, TypeError, ValueError):
            pass
    if isinstance(exc, exception.ApiError) and \
            message.startswith('%s: ' % code):
        message = message[len(code) + 2:]
    return STATUS_BY_CODE.get(code, 400), code, message


def error_response(exc, request_id, status=None, code=None, message=None):
    """A webob response holding the EC2 error for ``exc``."""
    if exc is not None:
        status, code, message = ec2_error(exc)
        if status >= 500:
            LOG.error('EC2 request %s failed: %s', request_id, exc,
                      exc_info=(type(exc), exc, exc.__traceback__))
    body = apirequest.render_error(code, message, request_id)
    resp = webob.Response(status=status, content_type='text/xml',
                          charset='utf-8')
    resp.text = body
    return resp
