from django.apps import AppConfig


class SelfServiceConfig(AppConfig):
    name = "huikuan.selfservice"
    label = "selfservice"
    verbose_name = "Self-service"

    def ready(self) -> None:
        from huikuan.selfservice import receivers

        receivers.connect()
