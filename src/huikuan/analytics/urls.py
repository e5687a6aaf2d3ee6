"""/analytics/: the dashboards. Other pages of analytics (the scoring models' pages under models/) add their
own ``path(...)`` here, or ``path("models/", include(...))``: each page owns one prefix."""

from django.urls import path

from huikuan.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.cases, name="cases"),
    path("export/<slug:name>.xlsx", views.export, name="export"),
    path("experiments/<int:experiment_id>/promote/", views.promote, name="promote"),
]
