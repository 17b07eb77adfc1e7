"""Planning networks: split a range into subnets and list their addresses.

Pure functions (no database): :func:`plan_networks` turns the arguments of
``nova-manage network create`` into the rows to write, and raises
:class:`nova.exception.InvalidCidr` / :class:`nova.exception.InvalidInput`
with a one-line reason for anything that cannot work, before anything is
written.
"""

import ipaddress
import math

from nova import exception
from nova import flags

# Diablo's nova/ipv6 could also build addresses from the project id
# (account_identifier); only EUI-64 addresses (mac_to_ipv6) are built here.
flags.DEFINE_string('ipv6_backend', 'rfc2462',
                    'IPv6 address scheme (only rfc2462: the EUI-64 address '
                    'of the MAC)', choices=('rfc2462',))

MAX_VLAN = 4094


def parse_cidr(cidr, version=None):
    """An ``ipaddress`` network for ``cidr`` (host bits allowed, as Diablo).

    Raises InvalidCidr for text that is not a network of the right version.
    """
    text = str(cidr).strip()
    if '/' not in text:
        raise exception.InvalidCidr(cidr=cidr,
                                    reason='a prefix length (/N) is needed')
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise exception.InvalidCidr(cidr=cidr, reason=str(exc))
    if version and net.version != version:
        raise exception.InvalidCidr(cidr=cidr,
                                    reason='not an IPv%d range' % version)
    return net


def subnet_bits(network_size):
    """Host bits of a subnet holding ``network_size`` addresses."""
    return int(math.ceil(math.log(network_size, 2)))


def _int(value, name, minimum=0):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise exception.InvalidInput(reason='%s must be an integer, not %r'
                                     % (name, value))
    if number < minimum:
        raise exception.InvalidInput(reason='%s must be at least %d, not %d'
                                     % (name, minimum, number))
    return number


def split_v4(cidr, num_networks, network_size, min_size=4):
    """``num_networks`` consecutive subnets of ``network_size`` in ``cidr``."""
    fixed_net = parse_cidr(cidr, 4)
    num_networks = _int(num_networks, 'num_networks', 1)
    network_size = _int(network_size, 'network_size', 1)
    if network_size < min_size:
        raise exception.InvalidInput(
            reason='network_size %d leaves no address for instances (at '
                   'least %d are needed)' % (network_size, min_size))
    prefix = 32 - subnet_bits(network_size)
    if prefix < fixed_net.prefixlen:
        raise exception.InvalidInput(
            reason='network size %d does not fit in %s' % (network_size,
                                                           fixed_net))
    available = 2 ** (prefix - fixed_net.prefixlen)
    if num_networks > available:
        raise exception.InvalidInput(
            reason='The network range is not big enough to fit %d '
                   'networks. Network size is %d' % (num_networks,
                                                     network_size))
    subnets = fixed_net.subnets(new_prefix=prefix)
    return [next(subnets) for _i in range(num_networks)]


def split_v6(cidr_v6, num_networks):
    """``num_networks`` consecutive /64 subnets of ``cidr_v6``.

    A range of /64 or longer gives one network with the range itself.
    """
    fixed_net = parse_cidr(cidr_v6, 6)
    num_networks = _int(num_networks, 'num_networks', 1)
    if fixed_net.prefixlen >= 64:
        if num_networks > 1:
            raise exception.InvalidInput(
                reason='%s is too small for %d networks' % (fixed_net,
                                                            num_networks))
        return [fixed_net]
    if num_networks > 2 ** (64 - fixed_net.prefixlen):
        raise exception.InvalidInput(
            reason='%s is too small for %d networks' % (fixed_net,
                                                        num_networks))
    subnets = fixed_net.subnets(new_prefix=64)
    return [next(subnets) for _i in range(num_networks)]


def fixed_addresses(subnet, bottom_reserved, top_reserved):
    """``(address, reserved)`` for every address of an IPv4 subnet.

    The first ``bottom_reserved`` (network, gateway, VPN...) and the last
    ``top_reserved`` (broadcast, VPN clients...) addresses are reserved.
    """
    size = subnet.num_addresses
    first = int(subnet.network_address)
    result = []
    for index in range(size):
        reserved = index < bottom_reserved or index >= size - top_reserved
        result.append((str(ipaddress.IPv4Address(first + index)), reserved))
    return result


def plan_networks(label, cidr, num_networks, network_size, cidr_v6=None,
                  gateway_v6=None, vlan_start=None, vpn_start=None,
                  used_vlans=(), used_vpn_ports=(), min_size=4):
    """The ``networks`` rows (without bridge, DNS...) for a create request.

    ``vlan_start`` given (an int) makes VLAN networks: VLAN, bridge
    ``br<vlan>``, VPN port and private address, DHCP start after the VPN
    address.  VLAN ids and ports already in ``used_vlans`` /
    ``used_vpn_ports`` are skipped.
    """
    if not label:
        raise exception.NetworkNotCreated(req='--label')
    if not (cidr or cidr_v6):
        raise exception.NetworkNotCreated(
            req='--fixed_range_v4 or --fixed_range_v6')
    num_networks = _int(num_networks, 'num_networks', 1)
    subnets_v4 = split_v4(cidr, num_networks, network_size, min_size) \
        if cidr else []
    subnets_v6 = split_v6(cidr_v6, num_networks) if cidr_v6 else []
    if gateway_v6:
        try:
            ipaddress.IPv6Address(str(gateway_v6))
        except ValueError:
            raise exception.InvalidInput(reason='gateway_v6 %r is not an '
                                         'IPv6 address' % gateway_v6)
    vlans = ports = []
    if vlan_start is not None:
        vlans = _free_numbers(_int(vlan_start, 'vlan_start', 1),
                              num_networks, used_vlans)
        if vlans[-1] > MAX_VLAN:
            raise exception.InvalidInput(
                reason='The sum between the number of networks and the vlan '
                       'start cannot be greater than %d' % MAX_VLAN)
        ports = _free_numbers(_int(vpn_start, 'vpn_start', 1),
                              num_networks, used_vpn_ports)
        if ports[-1] > 65535:
            raise exception.InvalidInput(reason='VPN ports run past 65535')
    rows = []
    for index in range(num_networks):
        row = {'label': label if num_networks == 1
               else '%s_%d' % (label, index)}
        if subnets_v4:
            subnet = subnets_v4[index]
            row.update({
                'cidr': str(subnet),
                'netmask': str(subnet.netmask),
                'gateway': str(subnet.network_address + 1),
                'broadcast': str(subnet.broadcast_address),
                'dhcp_start': str(subnet.network_address + 2),
            })
        if subnets_v6:
            subnet6 = subnets_v6[index]
            row.update({
                'cidr_v6': str(subnet6),
                'gateway_v6': str(gateway_v6) if gateway_v6
                else str(subnet6.network_address + 1),
                'netmask_v6': str(subnet6.prefixlen),
            })
        if vlans:
            row.update({'vlan': vlans[index],
                        'bridge': 'br%d' % vlans[index],
                        'vpn_public_port': ports[index]})
            if subnets_v4:
                row['vpn_private_address'] = str(
                    subnets_v4[index].network_address + 2)
                row['dhcp_start'] = str(subnets_v4[index].network_address + 3)
        rows.append((row, subnets_v4[index] if subnets_v4 else None))
    return rows


def _free_numbers(start, count, used):
    """``count`` numbers from ``start`` on, skipping the ``used`` ones."""
    used = set(used)
    result = []
    number = start
    while len(result) < count:
        if number not in used:
            result.append(number)
        number += 1
    return result


def mac_to_ipv6(prefix, mac):
    """The EUI-64 address of ``mac`` in the IPv6 ``prefix`` (RFC 4862)."""
    net = ipaddress.ip_network(prefix, strict=False)
    octets = [int(part, 16) for part in mac.split(':')]
    octets[0] ^= 0x02
    eui = octets[:3] + [0xff, 0xfe] + octets[3:]
    suffix = int.from_bytes(bytes(eui), 'big')
    return str(ipaddress.IPv6Address(int(net.network_address) | suffix))
