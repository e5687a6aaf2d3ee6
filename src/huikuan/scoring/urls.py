"""Mounted at /analytics/models/ (config.urls), its own module so the analytics dashboards' URLs stay apart."""

from django.urls import path

from huikuan.scoring import views

app_name = "scoring"
urlpatterns = [
    path("", views.models, name="models"),
    path("<int:number>/", views.version_page, name="version"),
    path("<int:number>/report.json", views.version_json, name="version-json"),
    path("<int:number>/report.xlsx", views.version_xlsx, name="version-xlsx"),
    path("<int:number>/promote/", views.promote, name="promote"),
]
