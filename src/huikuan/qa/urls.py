from django.urls import path

from huikuan.qa import views

app_name = "qa"
urlpatterns = [
    path("", views.calls, name="calls"),
    path("sample/", views.build, name="build"),
    path("upload/", views.upload, name="upload"),
    path("<int:transcript_id>/", views.call, name="call"),
]
