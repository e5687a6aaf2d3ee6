from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HolidaysConfig(AppConfig):
    name = "huikuan.holidays"
    label = "holidays"
    verbose_name = _("Official holidays")

    def ready(self) -> None:
        from huikuan.holidays import table  # noqa: F401  (connects the cache's receivers)
