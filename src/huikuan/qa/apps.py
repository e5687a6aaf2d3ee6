from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from huikuan.workbench.panels import register_team_panel


class QaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "huikuan.qa"
    verbose_name = _("Conversation QA")

    def ready(self) -> None:
        # The team page (workbench, below) shows the weekly QA scores through its panel hook.
        # Here, not at the top: the queries import this app's models, which Django loads after apps.py.
        from huikuan.qa.queries import team_scores_panel

        register_team_panel(team_scores_panel)
