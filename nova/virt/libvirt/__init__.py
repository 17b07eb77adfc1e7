"""The libvirt hypervisor driver (see :mod:`nova.virt.libvirt.connection`)."""
