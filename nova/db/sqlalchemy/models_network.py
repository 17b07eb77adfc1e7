"""Models of networking: networks, addresses, interfaces, firewall rules."""

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String
from sqlalchemy.orm import backref, relationship

from nova.db.sqlalchemy.models_base import BASE


class SecurityGroupInstanceAssociation(BASE):
    """Membership of an instance in a security group."""

    __tablename__ = 'security_group_instance_association'
    id = Column(Integer, primary_key=True)
    security_group_id = Column(Integer, ForeignKey('security_groups.id'),
                               index=True)
    instance_id = Column(Integer, ForeignKey('instances.id'), index=True)


class SecurityGroup(BASE):
    """A named set of ingress rules of a project."""

    __tablename__ = 'security_groups'
    id = Column(Integer, primary_key=True)
    name = Column(String(255))
    description = Column(String(255))
    user_id = Column(String(255))
    project_id = Column(String(255))

    instances = relationship(
        'Instance', secondary='security_group_instance_association',
        primaryjoin='and_(SecurityGroup.id == '
                    'SecurityGroupInstanceAssociation.security_group_id, '
                    'SecurityGroupInstanceAssociation.deleted == False, '
                    'SecurityGroup.deleted == False)',
        secondaryjoin='and_(SecurityGroupInstanceAssociation.instance_id == '
                      'Instance.id, Instance.deleted == False)',
        backref='security_groups')


class SecurityGroupIngressRule(BASE):
    """One ingress rule: protocol, ports and a CIDR or a source group."""

    __tablename__ = 'security_group_rules'
    id = Column(Integer, primary_key=True)
    parent_group_id = Column(Integer, ForeignKey('security_groups.id'),
                             index=True)
    parent_group = relationship(
        'SecurityGroup', backref=backref('rules'),
        foreign_keys=[parent_group_id],
        primaryjoin='and_(SecurityGroupIngressRule.parent_group_id == '
                    'SecurityGroup.id, '
                    'SecurityGroupIngressRule.deleted == False)')
    protocol = Column(String(5))  # "tcp", "udp", or "icmp"
    from_port = Column(Integer)
    to_port = Column(Integer)
    cidr = Column(String(255))
    # Note: not the parent group; the group whose members are allowed in.
    group_id = Column(Integer, ForeignKey('security_groups.id'), index=True)
    grantee_group = relationship(
        'SecurityGroup', foreign_keys=[group_id],
        primaryjoin='SecurityGroupIngressRule.group_id == SecurityGroup.id')


class ProviderFirewallRule(BASE):
    """A firewall rule the provider applies to every instance."""

    __tablename__ = 'provider_fw_rules'
    id = Column(Integer, primary_key=True)
    protocol = Column(String(5))  # "tcp", "udp", or "icmp"
    from_port = Column(Integer)
    to_port = Column(Integer)
    cidr = Column(String(255))


class Network(BASE):
    """A fixed-IP network (flat, flat DHCP or a project VLAN)."""

    __tablename__ = 'networks'
    id = Column(Integer, primary_key=True)
    label = Column(String(255))
    injected = Column(Boolean, default=False)
    cidr = Column(String(255), unique=True)
    cidr_v6 = Column(String(255), unique=True)
    multi_host = Column(Boolean, default=False)
    gateway_v6 = Column(String(255))
    netmask_v6 = Column(String(255))
    netmask = Column(String(255))
    bridge = Column(String(255))
    bridge_interface = Column(String(255))
    gateway = Column(String(255))
    broadcast = Column(String(255))
    dns1 = Column(String(255))
    dns2 = Column(String(255))
    vlan = Column(Integer)
    vpn_public_address = Column(String(255))
    vpn_public_port = Column(Integer)
    vpn_private_address = Column(String(255))
    dhcp_start = Column(String(255))
    project_id = Column(String(255))
    priority = Column(Integer)
    host = Column(String(255))
    uuid = Column(String(36))


class VirtualInterface(BASE):
    """A virtual NIC (MAC address) of an instance on a network."""

    __tablename__ = 'virtual_interfaces'
    id = Column(Integer, primary_key=True)
    address = Column(String(255), unique=True)
    network_id = Column(Integer, ForeignKey('networks.id'), index=True)
    network = relationship('Network')
    instance_id = Column(Integer, ForeignKey('instances.id'), nullable=False,
                         index=True)
    instance = relationship('Instance',
                            backref=backref('virtual_interfaces'))
    uuid = Column(String(36))


class FixedIp(BASE):
    """A private address of a network, possibly given to an instance."""

    __tablename__ = 'fixed_ips'
    id = Column(Integer, primary_key=True)
    address = Column(String(255))
    network_id = Column(Integer, ForeignKey('networks.id'), nullable=True,
                        index=True)
    network = relationship('Network', backref=backref('fixed_ips'))
    virtual_interface_id = Column(Integer,
                                  ForeignKey('virtual_interfaces.id'),
                                  nullable=True, index=True)
    virtual_interface = relationship('VirtualInterface',
                                     backref=backref('fixed_ips'))
    instance_id = Column(Integer, ForeignKey('instances.id'), nullable=True,
                         index=True)
    instance = relationship(
        'Instance', backref=backref('fixed_ips'),
        foreign_keys=[instance_id],
        primaryjoin='and_(FixedIp.instance_id == Instance.id, '
                    'FixedIp.deleted == False)')
    allocated = Column(Boolean, default=False)
    leased = Column(Boolean, default=False)
    reserved = Column(Boolean, default=False)
    host = Column(String(255))


class FloatingIp(BASE):
    """A public address, possibly associated with a fixed address."""

    __tablename__ = 'floating_ips'
    id = Column(Integer, primary_key=True)
    address = Column(String(255))
    fixed_ip_id = Column(Integer, ForeignKey('fixed_ips.id'), nullable=True,
                         index=True)
    fixed_ip = relationship(
        'FixedIp', backref=backref('floating_ips'),
        foreign_keys=[fixed_ip_id],
        primaryjoin='and_(FloatingIp.fixed_ip_id == FixedIp.id, '
                    'FloatingIp.deleted == False)')
    project_id = Column(String(255))
    host = Column(String(255))
    auto_assigned = Column(Boolean, default=False, nullable=False)
