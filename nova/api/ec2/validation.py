"""Shapes of action arguments, checked before an action runs.

A value's shape comes from the client's parameter names (``X=v`` is one
value, ``X.1=v`` a list, ``X.Y=v`` a structure).  An action that gets a list
or a structure where it reads one value fails in its own code, which used to
surface as a 500.  So the dispatcher checks every argument first and answers
``InvalidParameterValue``:

1. for actions EC2 itself defines, against EC2's own request shapes
   (:mod:`nova.api.ec2.param_shapes`, generated from botocore's model), so a
   newly implemented EC2 action is covered without anyone registering it;
2. otherwise from the method's Python signature: an annotation ``str``/
   ``int``/``bool`` is one value, ``list`` a list of values, ``dict`` a
   structure; an unannotated named parameter is one value;
3. an argument neither knows (taken by ``**kwargs``) must be one value.
"""

import inspect

from nova import exception
from nova.api.ec2 import param_shapes

SCALAR = 's'
ANY_DICT = 'd'
_SCALAR_TYPES = (str, int, bool, float)


def _param_name(path):
    return '.'.join(''.join(part[:1].upper() + part[1:]
                            for part in str(step).split('_'))
                    for step in path)


def _invalid(path, expected):
    return exception.InvalidParameterValue(
        err='Invalid value for parameter %s: expected %s'
        % (_param_name(path), expected))


def shape_of_parameter(param):
    """The shape a signature parameter declares (see the module doc)."""
    annotation = param.annotation
    if annotation is not param.empty:
        origin = getattr(annotation, '__origin__', annotation)
        if origin in _SCALAR_TYPES:
            return SCALAR
        if origin in (list, tuple):
            return ['l', SCALAR]
        if origin is dict:
            return ANY_DICT
        return None
    if isinstance(param.default, (list, tuple)):
        return ['l', SCALAR]
    if isinstance(param.default, dict):
        return ANY_DICT
    return SCALAR


def check(path, value, shape):
    """``value`` fitted to ``shape``; InvalidParameterValue if it cannot be.

    A one-element list where one value is expected becomes that value:
    boto 2 sends ``InstanceId.1`` to GetConsoleOutput, and EC2 takes it.
    """
    if shape is None or value is None:
        return value
    if shape == SCALAR:
        if isinstance(value, list) and len(value) == 1 and \
                not isinstance(value[0], (list, dict)):
            return value[0]
        if isinstance(value, (list, dict)):
            raise _invalid(path, 'a single value')
        return value
    if shape == ANY_DICT:
        if not isinstance(value, dict):
            raise _invalid(path, 'a structure')
        return value
    if isinstance(shape, list):
        item = shape[1]
        if isinstance(value, list):
            return [check(path + (index,), child, item)
                    for index, child in enumerate(value, 1)]
        if item == SCALAR and not isinstance(value, dict):
            return value
        raise _invalid(path, 'a numbered list')
    if not isinstance(value, dict):
        raise _invalid(path, 'a structure')
    return {key: check(path + (key,), child, shape[key])
            if key in shape else child
            for key, child in value.items()}


#: Nova's own actions that take the arguments of an EC2 action.
SAME_SHAPES = {'DescribeInstancesV6': 'DescribeInstances'}


def validate(action, method, args):
    """``args`` of ``action`` (served by ``method``), checked and fitted."""
    schema = param_shapes.SHAPES.get(SAME_SHAPES.get(action, action))
    params = inspect.signature(method).parameters
    fitted = {}
    for name, value in args.items():
        if schema is not None and name in schema:
            shape = schema[name]
        elif name in params and params[name].kind not in (
                inspect.Parameter.VAR_KEYWORD,
                inspect.Parameter.VAR_POSITIONAL):
            shape = shape_of_parameter(params[name])
        else:
            shape = SCALAR
        fitted[name] = check((name,), value, shape)
    return fitted
