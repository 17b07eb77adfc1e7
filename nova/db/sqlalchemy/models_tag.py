"""The ``tags`` table: EC2 tags of a project's resources (revision 005)."""

from sqlalchemy import Column, Index, Integer, String, UniqueConstraint

from nova.db.sqlalchemy.models_base import BASE, table_args


class Tag(BASE):
    """One key/value tag of one resource, named by its EC2 id and type."""

    __tablename__ = 'tags'
    __table_args__ = table_args(
        UniqueConstraint('resource_id', 'project_id', 'key',
                         name='uniq_tags_resource_id'),
        Index('ix_tags_project_id', 'project_id', 'id'),
        Index('ix_tags_key', 'key'))

    id = Column(Integer, primary_key=True)
    project_id = Column(String(255), nullable=False)
    resource_type = Column(String(32), nullable=False)
    resource_id = Column(String(64), nullable=False)
    key = Column(String(128), nullable=False)
    value = Column(String(256), nullable=False)
