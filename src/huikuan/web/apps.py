from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "huikuan.web"
    label = "web"
