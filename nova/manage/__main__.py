"""``python -m nova.manage``: the same as the nova-manage script."""

import sys

from nova import manage

sys.exit(manage.main())
