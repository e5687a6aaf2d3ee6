from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    """Account imports, the synthetic portfolio generator and its seeding: writers that span portfolio and cases."""

    name = "huikuan.intake"
    label = "intake"
    verbose_name = _("Intake")
