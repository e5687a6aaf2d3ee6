from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "huikuan.org"
    label = "org"
    verbose_name = _("Users and teams")

    def ready(self) -> None:
        from huikuan.org import logins  # noqa: F401  (connects the failed-login and lockout receivers)
