"""Models of users, projects, roles, tokens, key pairs, quotas and certs."""

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Text
from sqlalchemy.orm import backref, relationship

from nova.db.sqlalchemy.models_base import BASE


class AuthToken(BASE):
    """An OpenStack API auth token (``X-Auth-Token``)."""

    __tablename__ = 'auth_tokens'
    token_hash = Column(String(255), primary_key=True)
    user_id = Column(String(255))
    server_management_url = Column(String(255))
    storage_url = Column(String(255))
    cdn_management_url = Column(String(255))


class User(BASE):
    """A user of the db auth driver."""

    __tablename__ = 'users'
    id = Column(String(255), primary_key=True)
    name = Column(String(255))
    access_key = Column(String(255))
    secret_key = Column(String(255))
    is_admin = Column(Boolean)


class Project(BASE):
    """A project (tenant) of the db auth driver."""

    __tablename__ = 'projects'
    id = Column(String(255), primary_key=True)
    name = Column(String(255))
    description = Column(String(255))
    project_manager = Column(String(255), ForeignKey('users.id'), index=True)
    members = relationship('User', secondary='user_project_association',
                           backref='projects')


class UserProjectRoleAssociation(BASE):
    """A role a user holds within one project."""

    __tablename__ = 'user_project_role_association'
    user_id = Column(String(255), primary_key=True)
    user = relationship(
        'User', viewonly=True, uselist=False,
        primaryjoin='foreign(UserProjectRoleAssociation.user_id) == User.id')
    project_id = Column(String(255), primary_key=True)
    project = relationship(
        'Project', viewonly=True, uselist=False,
        primaryjoin='foreign(UserProjectRoleAssociation.project_id) == '
                    'Project.id')
    role = Column(String(255), primary_key=True)


class UserRoleAssociation(BASE):
    """A global role of a user."""

    __tablename__ = 'user_role_association'
    user_id = Column(String(255), ForeignKey('users.id'), primary_key=True,
                     index=True)
    user = relationship('User', backref=backref('roles'))
    role = Column(String(255), primary_key=True)


class UserProjectAssociation(BASE):
    """Membership of a user in a project."""

    __tablename__ = 'user_project_association'
    user_id = Column(String(255), ForeignKey('users.id'), primary_key=True,
                     index=True)
    project_id = Column(String(255), ForeignKey('projects.id'),
                        primary_key=True, index=True)


class KeyPair(BASE):
    """An SSH key pair of a user."""

    __tablename__ = 'key_pairs'
    id = Column(Integer, primary_key=True)
    name = Column(String(255))
    user_id = Column(String(255))
    fingerprint = Column(String(255))
    public_key = Column(Text)


class Quota(BASE):
    """A per-project limit of one resource (``hard_limit`` None = none).

    A project without a row for a resource gets the ``--quota_*`` default.
    """

    __tablename__ = 'quotas'
    id = Column(Integer, primary_key=True)
    project_id = Column(String(255), index=True)
    resource = Column(String(255))
    hard_limit = Column(Integer, nullable=True)


class Certificate(BASE):
    """An X.509 certificate signed for a user in a project."""

    __tablename__ = 'certificates'
    id = Column(Integer, primary_key=True)
    user_id = Column(String(255))
    project_id = Column(String(255))
    file_name = Column(String(255))
