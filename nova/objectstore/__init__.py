"""nova-objectstore: an S3-compatible store for image bundles.

:mod:`nova.objectstore.store` keeps buckets and objects on disk,
:mod:`nova.objectstore.s3auth` checks S3 request signatures with the users'
EC2 keys, :mod:`nova.objectstore.s3server` is the WSGI application.
"""
