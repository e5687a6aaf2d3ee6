from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "huikuan.fieldwork"
    verbose_name = _("Field visits")

    def ready(self) -> None:
        # The visits and their photos go into the legal evidence pack through the registry in ``cases``.
        from huikuan.cases.evidence import register_evidence_source
        from huikuan.fieldwork.evidence import SOURCE_NAME, visits_evidence

        register_evidence_source(SOURCE_NAME, visits_evidence)
