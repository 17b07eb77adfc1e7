"""The SQLAlchemy backend of :mod:`nova.db.api`.

Each entity lives in its own ``api_<entity>`` module that lists its public
functions in ``__all__``; adding an entity is one import line here.
"""

from nova.db.sqlalchemy.api_common import (  # noqa: F401
    authorize_project_context, authorize_user_context, is_admin_context,
    is_user_context, model_query, require_admin_context, require_context)
from nova.db.sqlalchemy.session import get_session, session_scope  # noqa
from nova.db.sqlalchemy.session import (  # noqa: F401
    is_disconnect, on_commit, transaction_info)

from nova.db.sqlalchemy.api_service import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_instance_type import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_quota import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_certificate import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_auth import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_instance import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_instance_host import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_keypair import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_security_group import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_instance_fault import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_scheduler import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_network import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_virtual_interface import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_volume import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_snapshot import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_floating import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_tag import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_page import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_instance_list import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_delivery import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_provider_fw import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_migration import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_instance_action import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_zone_console import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_instance_v6 import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_volume_type import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_vsa import *  # noqa: F401,F403
from nova.db.sqlalchemy.api_agent_build import *  # noqa: F401,F403
