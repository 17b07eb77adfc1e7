"""The dashboard: web pages over the OpenStack API (like Diablo's
openstack-dashboard), a client of that API over HTTP.

:mod:`.client` speaks to the API, :mod:`.keystone` signs users in
through Keystone (``--dashboard_keystone_url``), :mod:`.session` keeps the
signed-in users' tokens server side (and their CSRF tokens), :mod:`.app`
is the WSGI application (routing, login, CSRF checks, errors),
:mod:`.user_views` and :mod:`.admin_views` are the pages.  It imports no
manager and no ``db`` (:mod:`.keystone` reads the Keystone id and admin
role rules of :mod:`nova.api.auth`, imported when a user signs in).
"""
