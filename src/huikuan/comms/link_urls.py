"""The comms paths a message links to (the opt-out page): part of ``comms.urls``, and on their own in
``config.link_urls``, which composing reverses against without loading the template pages (and WeasyPrint)."""

from django.urls import path

from huikuan.comms import views

app_name = "comms"
urlpatterns = [
    path("opt-out/<str:token>/", views.opt_out, name="opt_out"),
]
