from django.urls import path

from huikuan.strategy import views

app_name = "strategy"
urlpatterns = [path("", views.overview, name="overview")]
