from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The `huikuan demo` command: it sets up every app's demo data, so it sits above all of them."""

    name = "huikuan.demo"
    label = "demo"
    verbose_name = _("Demo")
