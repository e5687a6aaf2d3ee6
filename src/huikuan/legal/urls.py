from django.urls import path

from huikuan.legal import views

app_name = "legal"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:legal_case_id>/", views.case_page, name="case"),
    path("<int:legal_case_id>/move/", views.move, name="move"),
    path("<int:legal_case_id>/documents/", views.upload, name="upload"),
    path("<int:legal_case_id>/evidence/", views.evidence, name="evidence"),
    path("cases/<int:case_id>/refer/", views.refer, name="refer"),
    path("cases/<int:case_id>/continue/", views.continue_collection, name="continue"),
    path("specialists/", views.specialists, name="specialists"),
    path("specialists/<int:case_id>/decide/", views.specialist_decide, name="specialist-decide"),
]
