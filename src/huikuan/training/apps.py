from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from huikuan.workbench.panels import register_team_panel


class TrainingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "huikuan.training"
    verbose_name = _("Training simulator")

    def ready(self) -> None:
        # The team page (workbench, below) shows the team's training results through its panel hook.
        # Here, not at the top: the queries import this app's models, which Django loads after apps.py.
        from huikuan.training.queries import team_training_panel

        register_team_panel(team_training_panel)
