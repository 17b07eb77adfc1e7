"""GetVncConsole and GetAjaxConsole, Diablo's console actions.

* GetVncConsole (InstanceId): ``{'url': ...}``, the nova-vncproxy URL of
  the instance's VNC console with a fresh token for it alone (see
  ``nova.compute.api_consoles``).
* GetAjaxConsole (InstanceId): refused -- there is no ajax console proxy
  here -- with UnsupportedOperation saying so.
"""

from nova.api.ec2 import ec2utils


def _one_instance(instance_id):
    ids = [str(i) for i in ec2utils.as_list(instance_id) if i != '']
    if not ids:
        raise ec2utils.missing('InstanceId')
    return ids[0], ec2utils.ec2_instance_id_to_id(ids[0])


class ConsoleActions(object):
    """The EC2 console actions of Diablo's Nova."""

    def get_vnc_console(self, context, instance_id=None, **kwargs):
        """GetVncConsole: the browser URL of the instance's VNC console."""
        _ec2_id, number = _one_instance(instance_id)
        return self.compute_api.get_vnc_console(context, number)

    def get_ajax_console(self, context, instance_id=None, **kwargs):
        """GetAjaxConsole: not available (no ajax console proxy)."""
        _ec2_id, number = _one_instance(instance_id)
        return self.compute_api.get_ajax_console(context, number)
