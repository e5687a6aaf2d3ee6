from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommsConfig(AppConfig):
    name = "huikuan.comms"
    label = "comms"
    verbose_name = _("Communications")

    def ready(self) -> None:
        from huikuan.comms import receivers

        receivers.connect()
