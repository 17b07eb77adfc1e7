"""EC2 tags: CreateTags, DeleteTags, DescribeTags, and the helpers every
Describe call uses for its ``tagSet`` and its ``tag:<key>``, ``tag-key`` and
``tag-value`` filters.

Resource kinds are found through a registry keyed by the EC2 id prefix
(:func:`register`): each entry names the DescribeTags resource type and a
finder ``finder(controller, context, ec2_id)`` that raises the kind's
NotFound error unless the caller may see the resource.  Instances, images,
security groups, volumes and snapshots are registered here; a new kind is
one :func:`register` call.
"""

from nova import db
from nova import exception
from nova.api.ec2 import ec2utils
from nova.api.ec2 import paging

MAX_KEY = 128
MAX_VALUE = 256
MAX_TAGS = 50

#: prefix -> (resource type, finder)
RESOURCES = {}


def register(prefix, resource_type, finder):
    """Make ``<prefix>-<hex>`` ids taggable as ``resource_type``."""
    RESOURCES[prefix] = (resource_type, finder)


def resource_type_of(ec2_id):
    """The DescribeTags resource type of an EC2 id (None if unknown)."""
    entry = RESOURCES.get(str(ec2_id).rpartition('-')[0])
    return entry[0] if entry else None


def _find_instance(controller, context, ec2_id):
    controller.compute_api.get(context,
                               ec2utils.ec2_instance_id_to_id(ec2_id))


def _find_image(controller, context, ec2_id):
    controller.get_image(context, ec2_id)


def _find_group(controller, context, ec2_id):
    controller._group_by_id(context, ec2_id)


def _finder_by_db(getter, error, field):
    def find(controller, context, ec2_id):
        number = ec2utils.ec2_id_to_id(ec2_id)
        lookup = getattr(db, getter, None)
        try:
            if lookup is None:
                raise exception.NotFound()
            row = lookup(context, number)
        except exception.NotFound:
            raise error(**{field: ec2_id})
        if not context.is_admin and row['project_id'] != context.project_id:
            raise error(**{field: ec2_id})
    return find


def _volume_missing(volume_id):
    return ec2utils.EC2APIError(
        "The volume '%s' does not exist." % volume_id,
        ec2_code='InvalidVolume.NotFound')


def _snapshot_missing(snapshot_id):
    return ec2utils.EC2APIError(
        "The snapshot '%s' does not exist." % snapshot_id,
        ec2_code='InvalidSnapshot.NotFound')


def _find_key_pair(controller, context, ec2_id):
    controller._key_by_ec2_id(context, ec2_id)


register('i', 'instance', _find_instance)
register('key', 'key-pair', _find_key_pair)
for _prefix in ('ami', 'aki', 'ari'):
    register(_prefix, 'image', _find_image)
register('sg', 'security-group', _find_group)
register('vol', 'volume', _finder_by_db('volume_get', _volume_missing,
                                        'volume_id'))
register('snap', 'snapshot', _finder_by_db('snapshot_get',
                                           _snapshot_missing, 'snapshot_id'))


# -- helpers for the Describe calls -------------------------------------------
def is_tag_filter(name):
    """Whether a filter name is one of the tag filters."""
    return name.startswith('tag:') or name in ('tag-key', 'tag-value')


def split_filters(filters):
    """``(other filters, tag filters as [(kind, key, values)])``."""
    others = {}
    tag_filters = []
    for name, values in filters.items():
        if name.startswith('tag:'):
            tag_filters.append(('tag', name[4:], values))
        elif name in ('tag-key', 'tag-value'):
            tag_filters.append((name, None, values))
        else:
            others[name] = values
    return others, tag_filters


def matching_ids(context, resource_type, tag_filters):
    """EC2 ids of ``resource_type`` passing every tag filter (or None when
    there is no tag filter: everything passes)."""
    if not tag_filters:
        return None
    return db.tag_match_resources(context, resource_type, tag_filters)


def tag_sets(context, ec2_ids, resource_type=None):
    """``{ec2_id: [{'key', 'value'}]}`` for the ``tagSet`` of items."""
    return db.tag_get_by_resources(context, ec2_ids, resource_type)


def attach_tag_sets(context, items, id_key):
    """Set ``tagSet`` on each item (dicts keyed by ``id_key``)."""
    sets = tag_sets(context, [item[id_key] for item in items])
    for item in items:
        item['tagSet'] = sets.get(item[id_key], [])
    return items


def filter_by_tags(context, resource_type, items, id_key, tag_filters):
    """The items passing every tag filter."""
    wanted = matching_ids(context, resource_type, tag_filters)
    if wanted is None:
        return items
    return [item for item in items if item[id_key] in wanted]


# -- parameters -------------------------------------------------------------------
def _resource_ids(resource_id):
    ids = [str(r) for r in ec2utils.as_list(resource_id) if r != '']
    if not ids:
        raise ec2utils.missing('ResourceId.N')
    return ids


def _check_key(key):
    if key is None or str(key) == '':
        raise exception.InvalidParameterValue(
            err='Tag keys must not be empty')
    key = str(key)
    if len(key) > MAX_KEY:
        raise exception.InvalidParameterValue(
            err='Tag key exceeds the maximum length of %d characters'
            % MAX_KEY)
    if key.lower().startswith('aws:'):
        raise exception.InvalidParameterValue(
            err="Tag keys starting with 'aws:' are reserved for internal "
            'use')
    return key


def _check_value(value):
    value = '' if value is None else str(value)
    if len(value) > MAX_VALUE:
        raise exception.InvalidParameterValue(
            err='Tag value exceeds the maximum length of %d characters'
            % MAX_VALUE)
    return value


def parse_tags(tag, required=True):
    """``[(key, value-or-None)]`` of ``Tag.N.Key``/``Tag.N.Value``."""
    result = []
    for item in ec2utils.as_list(tag):
        if not isinstance(item, dict):
            raise ec2utils.missing('Tag.N.Key')
        key = _check_key(item.get('key'))
        value = item.get('value')
        result.append((key, None if value is None else _check_value(value)))
    if required and not result:
        raise ec2utils.missing('Tag.N')
    return result


class TagActions(object):
    """EC2 tag actions."""

    def _tag_resources(self, context, resource_ids):
        """``[(type, ec2_id)]``; InvalidID / the kind's NotFound first."""
        result = []
        for ec2_id in resource_ids:
            entry = RESOURCES.get(ec2_id.rpartition('-')[0])
            if entry is None:
                raise ec2utils.EC2APIError(
                    "The ID '%s' is not valid" % ec2_id, ec2_code='InvalidID')
            rtype, finder = entry
            try:
                ec2utils.ec2_id_to_id(ec2_id)
            except ec2utils.InvalidEc2Id:
                raise ec2utils.EC2APIError(
                    "The ID '%s' is not valid" % ec2_id, ec2_code='InvalidID')
            finder(self, context, ec2_id)
            result.append((rtype, ec2_id))
        return result

    def _set_tags(self, context, resources, tags):
        """Tag ``[(type, ec2_id)]`` (checked already) with ``tags``."""
        db.tag_set(context, context.project_id, resources,
                   [(k, '' if v is None else v) for k, v in tags])

    def create_tags(self, context, resource_id=None, tag=None, **kwargs):
        """CreateTags: add or overwrite tags of one or more resources."""
        ids = _resource_ids(resource_id)
        tags = parse_tags(tag)
        resources = self._tag_resources(context, ids)
        self._set_tags(context, resources, tags)
        return True

    def delete_tags(self, context, resource_id=None, tag=None, **kwargs):
        """DeleteTags: by key, by key and value, or all of a resource's."""
        ids = _resource_ids(resource_id)
        tags = parse_tags(tag, required=False)
        self._tag_resources(context, ids)
        db.tag_delete(context, ids, tags)
        return True

    def describe_tags(self, context, filter=None, max_results=None,
                      next_token=None, **kwargs):
        """DescribeTags: filters resource-id, resource-type, key, value."""
        filters = ec2utils.filters_from(filter)
        page = paging.page_of(context, 'DescribeTags', max_results,
                              next_token)
        rows = db.tag_get_page(context, filters, page.marker, page.fetch)
        rows, token = page.split(rows, lambda row: row['id'])
        items = [{'resourceId': row['resource_id'],
                  'resourceType': row['resource_type'],
                  'key': row['key'], 'value': row['value']} for row in rows]
        return paging.answer('tagSet', items, token)
