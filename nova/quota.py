"""Per-project quotas.

Each quota has a default from a ``--quota_*`` flag (``-1`` means unlimited)
that a project may override with a row of the ``quotas`` table (a NULL
``hard_limit`` meaning unlimited).  The ``allowed_*`` functions tell a caller
how many of a resource it may still take, given the usage counted from the
database; callers raise :class:`QuotaError` with Diablo's messages when the
answer is less than they asked for.
"""

from nova import exception
from nova import flags

FLAGS = flags.FLAGS
flags.DEFINE_integer('quota_instances', 10,
                     'number of instances allowed per project')
flags.DEFINE_integer('quota_cores', 20,
                     'number of instance cores allowed per project')
flags.DEFINE_integer('quota_ram', 50 * 1024,
                     'megabytes of instance ram allowed per project')
flags.DEFINE_integer('quota_volumes', 10,
                     'number of volumes allowed per project')
flags.DEFINE_integer('quota_gigabytes', 1000,
                     'number of volume gigabytes allowed per project')
flags.DEFINE_integer('quota_floating_ips', 10,
                     'number of floating ips allowed per project')
flags.DEFINE_integer('quota_metadata_items', 128,
                     'number of metadata items allowed per instance')
flags.DEFINE_integer('quota_max_injected_files', 5,
                     'number of injected files allowed')
flags.DEFINE_integer('quota_max_injected_file_content_bytes', 10 * 1024,
                     'number of bytes allowed per injected file')
flags.DEFINE_integer('quota_max_injected_file_path_bytes', 255,
                     'number of bytes allowed per injected file path')

#: quota key -> the flag holding its default, in Diablo's order.
QUOTA_FLAGS = (
    ('instances', 'quota_instances'),
    ('cores', 'quota_cores'),
    ('ram', 'quota_ram'),
    ('volumes', 'quota_volumes'),
    ('gigabytes', 'quota_gigabytes'),
    ('floating_ips', 'quota_floating_ips'),
    ('metadata_items', 'quota_metadata_items'),
    ('injected_files', 'quota_max_injected_files'),
    ('injected_file_content_bytes', 'quota_max_injected_file_content_bytes'),
)
QUOTA_KEYS = tuple(key for key, _flag in QUOTA_FLAGS)


class QuotaError(exception.ApiError):
    """A quota was exceeded; ``code`` names which (InstanceLimitExceeded…)."""

    pass


class _LazyDb(object):
    """``nova.db`` imported on first use (flag discovery stays cheap)."""

    def __getattr__(self, name):
        from nova import db as real_db
        return getattr(real_db, name)


db = _LazyDb()


def _flag_limit(name):
    value = getattr(FLAGS, name)
    return None if value is None or int(value) < 0 else int(value)


def get_default_quotas():
    """Every quota key with its flag default (None = unlimited)."""
    return {key: _flag_limit(name) for key, name in QUOTA_FLAGS}


def _project_overrides(context, project_id):
    rows = db.quota_get_all_by_project(context, project_id)
    if isinstance(rows, dict):
        return {k: v for k, v in rows.items() if k in QUOTA_KEYS}
    return {row['resource']: row['hard_limit'] for row in rows or []
            if row['resource'] in QUOTA_KEYS}


def get_project_quotas(context, project_id):
    """The effective quotas of a project: defaults merged with overrides."""
    quotas = get_default_quotas()
    quotas.update(_project_overrides(context, project_id))
    return quotas


def _left(limit, used):
    return None if limit is None else max(limit - (used or 0), 0)


def _min_allowed(requested, *candidates):
    allowed = requested
    for candidate in candidates:
        if candidate is not None:
            allowed = min(allowed, candidate)
    return max(allowed, 0)


def allowed_instances(context, requested_instances, instance_type):
    """How many of ``requested_instances`` of a flavor the project may run."""
    project_id = context.project_id
    used_instances, used_cores, used_ram = db.instance_data_get_for_project(
        context, project_id)
    quota = get_project_quotas(context, project_id)
    vcpus = int(instance_type['vcpus'] or 0)
    memory = int(instance_type['memory_mb'] or 0)
    cores_left = _left(quota['cores'], used_cores)
    ram_left = _left(quota['ram'], used_ram)
    return _min_allowed(
        requested_instances,
        _left(quota['instances'], used_instances),
        cores_left // vcpus if cores_left is not None and vcpus else None,
        ram_left // memory if ram_left is not None and memory else None)


def allowed_volumes(context, requested_volumes, size):
    """How many volumes of ``size`` GB the project may still create."""
    project_id = context.project_id
    used_volumes, used_gigabytes = db.volume_data_get_for_project(
        context, project_id)
    quota = get_project_quotas(context, project_id)
    size = int(size or 0)
    gigabytes_left = _left(quota['gigabytes'], used_gigabytes)
    return _min_allowed(
        requested_volumes,
        _left(quota['volumes'], used_volumes),
        gigabytes_left // size if gigabytes_left is not None and size
        else None)


def allowed_floating_ips(context, requested_floating_ips):
    """How many floating IPs the project may still allocate."""
    project_id = context.project_id
    used = db.floating_ip_count_by_project(context, project_id)
    quota = get_project_quotas(context, project_id)
    return _min_allowed(requested_floating_ips,
                        _left(quota['floating_ips'], used))


def _allowed_by_key(context, key, requested):
    limit = get_project_quotas(context, context.project_id)[key]
    return _min_allowed(requested, limit)


def allowed_metadata_items(context, requested_metadata_items):
    """How many metadata items one instance (or image) may carry."""
    return _allowed_by_key(context, 'metadata_items',
                           requested_metadata_items)


def allowed_injected_files(context, requested_injected_files):
    """How many files may be injected into one instance."""
    return _allowed_by_key(context, 'injected_files',
                           requested_injected_files)


def allowed_injected_file_content_bytes(context, requested_bytes):
    """How many bytes one injected file may hold."""
    return _allowed_by_key(context, 'injected_file_content_bytes',
                           requested_bytes)


def allowed_injected_file_path_bytes(context):
    """How many bytes an injected file's path may have (flag only)."""
    return FLAGS.quota_max_injected_file_path_bytes


# -- checks that raise, for the APIs ---------------------------------------------
def check_metadata(context, metadata, check_lengths=True):
    """Raise QuotaError (MetadataLimitExceeded) if ``metadata`` is too big.

    Keys and values must be at most 255 characters (server metadata); images
    pass ``check_lengths=False`` as Diablo only counted their items.
    """
    metadata = metadata or {}
    count = len(metadata)
    if allowed_metadata_items(context, count) < count:
        raise QuotaError('Quota exceeded: code=MetadataLimitExceeded',
                         'MetadataLimitExceeded')
    if check_lengths:
        for key, value in metadata.items():
            if len(str(key)) > 255 or len(str(value)) > 255:
                raise QuotaError(
                    'Quota exceeded: code=MetadataLimitExceeded',
                    'MetadataLimitExceeded')


def check_injected_files(context, injected_files):
    """Raise QuotaError (OnsetFile…LimitExceeded) for too many/big files.

    ``injected_files`` is a list of ``(path, contents)`` pairs.
    """
    injected_files = injected_files or []
    count = len(injected_files)
    if allowed_injected_files(context, count) < count:
        raise QuotaError('Personality file limit exceeded',
                         'OnsetFileLimitExceeded')
    path_limit = allowed_injected_file_path_bytes(context)
    for path, contents in injected_files:
        if len(_as_bytes(path)) > path_limit:
            raise QuotaError('Personality file path too long',
                             'OnsetFilePathLimitExceeded')
        size = len(_as_bytes(contents))
        if allowed_injected_file_content_bytes(context, size) < size:
            raise QuotaError('Personality file content too long',
                             'OnsetFileContentLimitExceeded')


def _as_bytes(value):
    if isinstance(value, bytes):
        return value
    return str(value or '').encode('utf-8')
