from django.urls import path

from huikuan.fieldwork import views

app_name = "fieldwork"
urlpatterns = [
    path("", views.day, name="day"),
    path("items/<int:item_id>/reveal/", views.reveal, name="reveal"),
    path("cases/<int:case_id>/", views.visit, name="visit"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
