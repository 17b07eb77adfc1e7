"""Identity for the deprecated auth: users, projects, roles, signatures.

:mod:`nova.auth.manager` holds :class:`~nova.auth.manager.AuthManager`, the
front door; drivers (:mod:`nova.auth.dbdriver`) keep the records;
:mod:`nova.auth.signer` verifies signed EC2 requests and
:mod:`nova.auth.lockout` counts failed authentications.
"""
