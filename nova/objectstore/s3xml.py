"""The XML documents nova-objectstore answers (S3's 2006-03-01 schema)."""

import base64
import urllib.parse
from xml.sax import saxutils

NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/'
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def isotime(when):
    """S3's timestamp format (``2011-09-22T12:00:00.000Z``)."""
    return when.strftime('%Y-%m-%dT%H:%M:%S.000Z')


def _el(name, value):
    if value is None:
        return ''
    if isinstance(value, bool):
        value = 'true' if value else 'false'
    return '<%s>%s</%s>' % (name, saxutils.escape(str(value)), name)


def _owner(project_id):
    return '<Owner>%s%s</Owner>' % (_el('ID', project_id or ''),
                                    _el('DisplayName', project_id or ''))


def list_buckets(buckets, project_id):
    """ListAllMyBucketsResult."""
    items = ''.join('<Bucket>%s%s</Bucket>' % (
        _el('Name', b['name']), _el('CreationDate', isotime(b['created'])))
        for b in buckets)
    return (HEAD + '<ListAllMyBucketsResult xmlns="%s">%s<Buckets>%s'
            '</Buckets></ListAllMyBucketsResult>'
            % (NAMESPACE, _owner(project_id), items)).encode('utf-8')


def encode_token(key):
    """An opaque ListObjectsV2 continuation token for a key."""
    return base64.urlsafe_b64encode(key.encode('utf-8')).decode('ascii')


def decode_token(token):
    """The key behind a continuation token (ValueError if malformed)."""
    return base64.urlsafe_b64decode(token.encode('ascii')).decode('utf-8')


def list_objects(bucket, owner, page, params, version=1):
    """ListBucketResult of one page of a listing (v1 or ListObjectsV2).

    ``page`` is ``(objects, common_prefixes, truncated, last)``;
    ``params`` the request's ``prefix``, ``delimiter``, ``max_keys``,
    ``marker``/``start_after``/``continuation_token`` and
    ``encoding_type``.
    """
    objects, prefixes, truncated, last = page
    url = params.get('encoding_type') == 'url'

    def enc(text):
        if text is None:
            return None
        return urllib.parse.quote(text, safe='/') if url else text

    parts = [_el('Name', bucket), _el('Prefix', enc(params['prefix']))]
    if version == 2:
        parts.append(_el('KeyCount', len(objects) + len(prefixes)))
        if params.get('continuation_token'):
            parts.append(_el('ContinuationToken',
                             params['continuation_token']))
        if params.get('start_after'):
            parts.append(_el('StartAfter', enc(params['start_after'])))
        if truncated and last is not None:
            parts.append(_el('NextContinuationToken', encode_token(last)))
    else:
        parts.append(_el('Marker', enc(params.get('marker') or '')))
        if truncated and last is not None:
            parts.append(_el('NextMarker', enc(last)))
    parts.append(_el('MaxKeys', params['max_keys']))
    if params.get('delimiter'):
        parts.append(_el('Delimiter', enc(params['delimiter'])))
    if url:
        parts.append(_el('EncodingType', 'url'))
    parts.append(_el('IsTruncated', bool(truncated)))
    for info in objects:
        parts.append('<Contents>%s%s%s%s%s%s</Contents>' % (
            _el('Key', enc(info.key)),
            _el('LastModified', isotime(info.last_modified)),
            _el('ETag', '"%s"' % info.etag), _el('Size', info.size),
            _el('StorageClass', 'STANDARD'),
            _owner(owner) if version == 1 else ''))
    for prefix in prefixes:
        parts.append('<CommonPrefixes>%s</CommonPrefixes>'
                     % _el('Prefix', enc(prefix)))
    return (HEAD + '<ListBucketResult xmlns="%s">%s</ListBucketResult>'
            % (NAMESPACE, ''.join(parts))).encode('utf-8')


def location():
    """GetBucketLocation: the default region (empty constraint)."""
    return (HEAD + '<LocationConstraint xmlns="%s"/>' % NAMESPACE).encode()


def delete_result(deleted, errors, quiet=False):
    """DeleteResult of a multi-object delete."""
    parts = [] if quiet else ['<Deleted>%s</Deleted>' % _el('Key', k)
                              for k in deleted]
    for key, error in errors:
        parts.append('<Error>%s%s%s</Error>' % (
            _el('Key', key), _el('Code', error.code),
            _el('Message', error.message)))
    return (HEAD + '<DeleteResult xmlns="%s">%s</DeleteResult>'
            % (NAMESPACE, ''.join(parts))).encode('utf-8')
