"""S3 errors and their XML rendering."""

from xml.sax import saxutils

#: code -> (HTTP status, default message)
ERRORS = {
    'AccessDenied': (403, 'Access Denied'),
    'BadDigest': (400, 'The Content-MD5 you specified did not match what '
                  'we received.'),
    'BucketAlreadyExists': (409, 'The requested bucket name is not '
                            'available.'),
    'BucketAlreadyOwnedByYou': (409, 'Your previous request to create the '
                                'named bucket succeeded and you already '
                                'own it.'),
    'BucketNotEmpty': (409, 'The bucket you tried to delete is not empty.'),
    'EntityTooSmall': (400, 'Your proposed upload is smaller than the '
                       'minimum allowed object size.'),
    'EntityTooLarge': (400, 'Your proposed upload exceeds the maximum '
                       'allowed object size.'),
    'IncompleteBody': (400, 'You did not provide the number of bytes '
                       'specified by the Content-Length HTTP header.'),
    'InternalError': (500, 'We encountered an internal error. Please try '
                      'again.'),
    'InvalidAccessKeyId': (403, 'The AWS Access Key Id you provided does '
                           'not exist in our records.'),
    'InvalidArgument': (400, 'Invalid Argument'),
    'InvalidBucketName': (400, 'The specified bucket is not valid.'),
    'InvalidDigest': (400, 'The Content-MD5 you specified was invalid.'),
    'InvalidPart': (400, 'One or more of the specified parts could not be '
                    'found.'),
    'InvalidPartOrder': (400, 'The list of parts was not in ascending '
                         'order.'),
    'InvalidRange': (416, 'The requested range is not satisfiable'),
    'InvalidRequest': (400, 'Invalid Request'),
    'KeyTooLongError': (400, 'Your key is too long.'),
    'MalformedXML': (400, 'The XML you provided was not well-formed.'),
    'MethodNotAllowed': (405, 'The specified method is not allowed against '
                         'this resource.'),
    'MissingContentLength': (411, 'You must provide the Content-Length HTTP '
                             'header.'),
    'NoSuchBucket': (404, 'The specified bucket does not exist'),
    'NoSuchKey': (404, 'The specified key does not exist.'),
    'NoSuchUpload': (404, 'The specified multipart upload does not exist.'),
    'NotImplemented': (501, 'A header you provided implies functionality '
                       'that is not implemented.'),
    'RequestTimeTooSkewed': (403, 'The difference between the request time '
                             'and the current time is too large.'),
    'SignatureDoesNotMatch': (403, 'The request signature we calculated '
                              'does not match the signature you provided.'),
    'XAmzContentSHA256Mismatch': (400, 'The provided '
                                  "'x-amz-content-sha256' header does not "
                                  'match what was computed.'),
}


class S3Error(Exception):
    """An error answered to the client as S3 ``<Error>`` XML."""

    def __init__(self, code, message=None, resource=None, **extra):
        self.code = code
        self.status, default = ERRORS.get(code, (400, code))
        self.message = message or default
        self.resource = resource
        self.extra = extra
        super().__init__('%s: %s' % (code, self.message))

    def to_xml(self, request_id=''):
        """The ``<Error>`` document (bytes)."""
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<Error>',
                 '<Code>%s</Code>' % saxutils.escape(self.code),
                 '<Message>%s</Message>' % saxutils.escape(self.message)]
        if self.resource:
            parts.append('<Resource>%s</Resource>'
                         % saxutils.escape(self.resource))
        for key, value in sorted(self.extra.items()):
            parts.append('<%s>%s</%s>' % (key, saxutils.escape(str(value)),
                                          key))
        parts.append('<RequestId>%s</RequestId></Error>'
                     % saxutils.escape(request_id))
        return ''.join(parts).encode('utf-8')
