"""The flag of resizes that the compute API, the scheduler and nova-compute
all read (kept here so that none of them imports another)."""

from nova import flags

flags.DEFINE_bool('allow_resize_to_same_host', False,
                  'Allow destination machine to match source for resize. '
                  'Useful when testing in single-host environments.')
