"""The S3 requests of multipart uploads (a mixin of the S3 application).

POST ``?uploads`` starts one, PUT ``?partNumber=N&uploadId=ID`` sends a
part, POST ``?uploadId=ID`` with the part list completes it, DELETE
``?uploadId=ID`` aborts it.  Bodies are verified like any PUT's.
"""

from xml.sax import saxutils

from nova import flags
from nova.objectstore import s3xml
from nova.objectstore.errors import S3Error

FLAGS = flags.FLAGS
MAX_COMPLETE_BODY = 1 << 20


def _doc(name, **fields):
    inner = ''.join('<%s>%s</%s>' % (k, saxutils.escape(str(v)), k)
                    for k, v in fields.items())
    return (s3xml.HEAD + '<%s xmlns="%s">%s</%s>'
            % (name, s3xml.NAMESPACE, inner, name)).encode('utf-8')


class MultipartHandlers(object):
    """Multipart handlers; needs ``self.uploads`` and the helpers of
    :class:`nova.objectstore.s3server.S3Application`."""

    def post_object(self, ctx, bucket, key):
        """POST /bucket/key?uploads or ?uploadId=ID."""
        self._owned_bucket(ctx, bucket)
        query = dict(ctx.query)
        if 'uploads' in query:
            from nova.objectstore import s3server
            ctx.read_small_body()
            upload_id = self.uploads.create(
                bucket, key, ctx.request.headers.get('content-type'),
                s3server.user_metadata(ctx))
            return 200, [('Content-Type', 'application/xml')], _doc(
                'InitiateMultipartUploadResult', Bucket=bucket, Key=key,
                UploadId=upload_id)
        if 'uploadId' in query:
            parts = self.uploads.parse_complete(ctx.read_small_body())
            etag = self.uploads.complete(bucket, key, query['uploadId'],
                                         parts)
            return 200, [('Content-Type', 'application/xml')], _doc(
                'CompleteMultipartUploadResult',
                Location='/%s/%s' % (bucket, key), Bucket=bucket, Key=key,
                ETag='"%s"' % etag)
        raise S3Error('MethodNotAllowed')

    def upload_part(self, ctx, bucket, key):
        """PUT /bucket/key?partNumber=N&uploadId=ID."""
        from nova.objectstore import s3server
        query = dict(ctx.query)
        digests = s3server.body_digests(ctx)
        chunks, size = ctx.body_chunks()
        if size is not None and size > FLAGS.s3_max_object_size:
            raise S3Error('EntityTooLarge')
        etag = self.uploads.upload_part(
            bucket, key, query.get('uploadId'), query.get('partNumber'),
            chunks, digests, max_size=FLAGS.s3_max_object_size,
            expected_size=size)
        return 200, [('ETag', '"%s"' % etag)], b''

    def abort_upload(self, ctx, bucket, key):
        """DELETE /bucket/key?uploadId=ID."""
        self.uploads.abort(bucket, key, dict(ctx.query).get('uploadId'))
        return 204, [], b''
