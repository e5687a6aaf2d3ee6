from django.urls import path

from huikuan.workbench import views, views_contacts, views_notices, views_payments, views_training, views_validation

app_name = "workbench"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("next/", views.next_case, name="next"),
    path("cases/<int:case_id>/save/", views.save, name="save"),
    path("cases/<int:case_id>/payment/", views.payment, name="payment"),
    path("cases/<int:case_id>/notes/preview/", views.notes_preview, name="notes-preview"),
    path("cases/<int:case_id>/identity/", views.identity, name="identity"),
    path("cases/<int:case_id>/confirm/", views.confirm, name="confirm"),
    path("cases/<int:case_id>/plans/design/", views.design_plan, name="design-plan"),
    path("cases/<int:case_id>/hand-over/", views.hand_over, name="hand-over"),
    path("cases/<int:case_id>/verification/", views_validation.verification, name="verification"),
    path("cases/<int:case_id>/objections/", views.objections, name="objections"),
    path("team/", views.team, name="team"),
    path("team/training/", views_training.training, name="training"),
    path("team/reassign/", views.reassign, name="reassign"),
    path("team/assign/", views.assign, name="assign"),
    path("team/deal/", views.deal_unassigned, name="deal"),
    path("team/waivers/<int:request_id>/", views.decide_waiver, name="decide-waiver"),
    path("team/payments/", views_payments.team_payments, name="team-payments"),
    path("team/payments/<int:payment_id>/reverse/", views_payments.reverse_team_payment, name="reverse-payment"),
    path("cases/<int:case_id>/contacts/", views_contacts.contacts, name="contacts"),
    path("notifications/", views_notices.notifications, name="notifications"),
    path("notifications/read/", views_notices.read, name="notifications-read"),
]
