from django.urls import path

from huikuan.selfservice import views

app_name = "selfservice"
urlpatterns = [
    path("notify/wechat/", views.notify_wechat, name="notify-wechat"),
    path("notify/alipay/", views.notify_alipay, name="notify-alipay"),
    path("cases/<int:case_id>/send-link/", views.send_link_view, name="send-link"),
    path("cases/<int:case_id>/links/", views.case_links, name="case-links"),
    path("links/<int:link_id>/revoke/", views.revoke_link, name="revoke-link"),
    path("<str:token>/", views.open_page, name="open"),
    path("<str:token>/code/send/", views.send_code_view, name="send-code"),
    path("<str:token>/code/", views.enter_code, name="code"),
    path("<str:token>/plan/", views.accept_plan, name="plan"),
    path("<str:token>/promise/", views.give_promise, name="promise"),
    path("<str:token>/dispute/", views.dispute, name="dispute"),
    path("<str:token>/callback/", views.callback, name="callback"),
    path("<str:token>/opt-out/", views.opt_out, name="opt-out"),
    path("<str:token>/pay/", views.pay, name="pay"),
    path("<str:token>/checkout/<str:order_id>/", views.checkout, name="checkout"),
    path("<str:token>/paid/<str:order_id>/", views.paid, name="paid"),
]
