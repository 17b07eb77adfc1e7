"""VNC consoles in the browser: tokens, the websocket relay, nova-vncproxy.

A user asks an API for an instance's console (EC2 ``GetVncConsole``, the
OpenStack API's ``os-vnc-console``, the direct API's
``compute/get_vnc_console``).  ``nova.compute.api`` asks the instance's
compute host, which mints a token for that one instance and says where its
VNC server listens; the token is then authorized with nova-vncproxy over
RPC (``authorize_vnc_console`` on ``--vncproxy_topic``, as Diablo did) and
the user gets :func:`console_url`.  The browser loads noVNC from the proxy
and opens a websocket carrying the token; the proxy asks ``check_token``
over RPC and relays the websocket to the guest's VNC server, or answers
403 without touching any VNC server.
"""

from urllib import parse

from nova import flags

FLAGS = flags.FLAGS

flags.DEFINE_string('vncproxy_topic', 'vncproxy',
                    'queue topic of the VNC proxy')
flags.DEFINE_string('vncproxy_url', 'http://127.0.0.1:6080',
                    'URL of nova-vncproxy as browsers reach it')
flags.DEFINE_string('vnc_console_proxy_url', '$vncproxy_url',
                    'URL of nova-vncproxy in the console URLs given to '
                    'users (the admin manual\'s name; defaults to '
                    '--vncproxy_url)')

#: the path of the websocket, as noVNC's pages name it by default.
WS_PATH = 'websockify'
#: the noVNC page the console URL opens (in Debian's ``novnc`` package).
NOVNC_PAGE = 'vnc.html'


def console_url(token, base=None):
    """The URL a user opens: noVNC's page, told to connect at once to the
    websocket path that carries ``token``."""
    if base is None:
        base = FLAGS.vnc_console_proxy_url
    base = base.rstrip('/')
    query = parse.urlencode({'autoconnect': '1', 'reconnect': '0',
                             'path': '%s?token=%s' % (WS_PATH, token)})
    return '%s/%s?%s' % (base, NOVNC_PAGE, query)
