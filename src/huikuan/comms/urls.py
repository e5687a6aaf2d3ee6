from django.urls import path

from huikuan.comms import views

app_name = "comms"
urlpatterns = [
    path("webhooks/delivery/", views.delivery_receipt, name="delivery_receipt"),
    path("webhooks/inbound-sms/", views.inbound_sms, name="inbound_sms"),
    path("opt-out/<str:token>/", views.opt_out, name="opt_out"),
]
