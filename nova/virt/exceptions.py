"""Errors of the hypervisor drivers.

Each message names what went wrong and what to change, for the operator:
the compute manager keeps it in the log and in ``instance_faults.details``.
The user sees only the short reason :mod:`nova.compute.fault_reasons` maps
the error to (EC2 ``stateReason``), never this text, which may hold URIs,
paths and command output.
"""

from nova import exception


class HypervisorUnavailable(exception.NovaException):
    """The hypervisor daemon cannot be reached."""

    message = ('Cannot connect to the hypervisor at %(uri)s: %(reason)s '
               '(is libvirtd running? start it with '
               '"virtlogd -d; libvirtd -d")')


class ImageUnacceptable(exception.Invalid):
    """An image cannot be used as asked."""

    message = 'Image %(image_id)s is unacceptable: %(reason)s'


class FlavorTooSmall(exception.Invalid):
    """The instance type cannot hold the image."""

    message = ('The instance type is too small for image %(image_id)s: '
               '%(reason)s')


class GuestBootFailed(exception.NovaException):
    """The guest did not start."""

    message = 'Instance %(name)s did not start: %(reason)s'


class DiskNotFound(exception.NotFound):
    """No disk of the guest is at that mount point."""

    message = 'No disk at %(location)s'


class InvalidConnectionInfo(exception.Invalid):
    """A volume's connection_info the driver cannot use."""

    message = 'Cannot attach the volume: %(reason)s'


class MigrationError(exception.NovaException):
    """A live migration failed."""

    message = 'Migration error: %(reason)s'
