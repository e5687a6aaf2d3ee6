from django.urls import path

from huikuan.compliance import views

app_name = "compliance"
urlpatterns = [
    path("", views.register, name="register"),
    path("<str:kind>/<int:item_id>/review/", views.review_item, name="review"),
]
