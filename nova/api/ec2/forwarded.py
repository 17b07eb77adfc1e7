"""Who is really asking: the source address behind trusted proxies.

With ``--use_forwarded_for`` a proxy in front of nova-api tells the source
address in ``X-Forwarded-For``.  Each proxy *appends* the address it got the
request from, so only the right-hand end of the header was written by
proxies we run; the rest is whatever the client sent.  The rule:

* a request that does not come from a proxy in
  ``--metadata_trusted_proxies`` (addresses or CIDRs; default loopback) is
  taken at its socket address, whatever header it carries;
* from a trusted proxy, the header is read from the right, skipping trusted
  proxies; the first address that is not one is the source;
* a trusted proxy that sends the header empty or with an entry that is not
  an IP address gets the request refused (:class:`UntrustworthyForwarding`).
"""

import ipaddress

from nova import exception
from nova import flags

FLAGS = flags.FLAGS
flags.DEFINE_bool('use_forwarded_for', False,
                  'Treat X-Forwarded-For as the canonical remote address. '
                  'Only enable this if you have a sanitizing proxy (see '
                  '--metadata_trusted_proxies)')
flags.DEFINE_list('metadata_trusted_proxies', ['127.0.0.1', '::1'],
                  'Proxies (addresses or CIDRs) whose X-Forwarded-For hop '
                  'is believed when --use_forwarded_for is set; the source '
                  'is the last address in the header that is not one of '
                  'them')


class UntrustworthyForwarding(exception.Invalid):
    """A trusted proxy sent an empty or malformed X-Forwarded-For."""

    message = 'X-Forwarded-For from %(proxy)s is empty or malformed'


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_address(text):
    """Whether ``text`` is an IP address."""
    return bool(text) and _address(text) is not None


def _networks():
    networks = []
    for entry in FLAGS.metadata_trusted_proxies or ():
        try:
            networks.append(ipaddress.ip_network(entry.strip(),
                                                 strict=False))
        except ValueError:
            continue
    return networks


def is_trusted_proxy(address, networks=None):
    """Whether ``address`` (text) is one of the trusted proxies."""
    ip = _address(address or '')
    if ip is None:
        return False
    if networks is None:
        networks = _networks()
    return any(ip.version == net.version and ip in net for net in networks)


def source_address(remote_addr, forwarded_for):
    """The request's source address under the rule above.

    ``forwarded_for`` is the header's value (None when absent).  Raises
    :class:`UntrustworthyForwarding` for a trusted proxy's empty or
    malformed header.
    """
    if not FLAGS.use_forwarded_for:
        return remote_addr
    networks = _networks()
    if not is_trusted_proxy(remote_addr, networks) or forwarded_for is None:
        return remote_addr
    entries = [e.strip() for e in forwarded_for.split(',')]
    if not any(entries):
        raise UntrustworthyForwarding(proxy=remote_addr)
    candidate = remote_addr
    for entry in reversed(entries):
        ip = _address(entry)
        if ip is None:
            raise UntrustworthyForwarding(proxy=remote_addr)
        candidate = str(ip)
        if not is_trusted_proxy(candidate, networks):
            return candidate
    return candidate


def request_source(req):
    """:func:`source_address` of a webob request."""
    return source_address(req.remote_addr,
                          req.headers.get('X-Forwarded-For'))
