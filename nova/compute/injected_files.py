"""Files injected into a new guest's disk (the OpenStack API's personality).

A caller of ``compute.api`` hands ``[(path, contents)]`` pairs; they are
checked here before any row is made (:func:`check`), travel in the
``run_instance``/``rebuild_instance`` messages base64-encoded
(:func:`encode`, the messages are JSON) and reach the hypervisor driver as
``(path, bytes)`` pairs again (:func:`decode`).
"""

import base64
import binascii
import posixpath

from nova import exception
from nova import quota


def _as_bytes(contents):
    if isinstance(contents, bytes):
        return contents
    if isinstance(contents, str):
        return contents.encode('utf-8')
    raise exception.InvalidParameterValue(
        err='Personality file contents must be text or bytes')


def check_path(path):
    """Raise InvalidParameterValue unless ``path`` is an absolute,
    normal file path with no ``..`` part."""
    if not isinstance(path, str) or not path:
        raise exception.InvalidParameterValue(
            err='Personality file path must be a string')
    if not path.startswith('/') or path.endswith('/'):
        raise exception.InvalidParameterValue(
            err='Personality file path must be an absolute file path')
    if '..' in path.split('/') or '\0' in path or '\n' in path:
        raise exception.InvalidParameterValue(
            err='Personality file path must not contain ".."')
    if posixpath.normpath(path) in ('/', '//'):
        raise exception.InvalidParameterValue(
            err='Personality file path must name a file')


def check(context, files):
    """The ``(path, bytes)`` list of ``files``, checked: paths (400) and
    the project's injected-file quotas (QuotaError, 413)."""
    if not files:
        return []
    checked = []
    for item in files:
        try:
            path, contents = item
        except (TypeError, ValueError):
            raise exception.InvalidParameterValue(
                err='Personality files are (path, contents) pairs')
        check_path(path)
        checked.append((path, _as_bytes(contents)))
    quota.check_injected_files(context, checked)
    return checked


def encode(files):
    """``files`` as the JSON-safe list a message carries."""
    return [[path, base64.b64encode(contents).decode('ascii')]
            for path, contents in files or []]


def decode(files):
    """The ``(path, bytes)`` pairs of a message's ``injected_files``.

    Raises InvalidParameterValue for a malformed list (never drops one).
    """
    decoded = []
    for item in files or []:
        try:
            path, contents = item
            data = base64.b64decode(contents, validate=True)
        except (TypeError, ValueError, binascii.Error):
            raise exception.InvalidParameterValue(
                err='Malformed injected_files in the request')
        check_path(path)
        decoded.append((path, data))
    return decoded
