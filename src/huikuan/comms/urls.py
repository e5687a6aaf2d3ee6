from django.urls import path

from huikuan.comms import link_urls, views, views_templates, views_uncertain

app_name = "comms"
urlpatterns = [
    path("webhooks/delivery/", views.delivery_receipt, name="delivery_receipt"),
    path("webhooks/inbound-sms/", views.inbound_sms, name="inbound_sms"),
    *link_urls.urlpatterns,  # the opt-out page
    path("uncertain/", views_uncertain.uncertain_list, name="uncertain"),
    path("uncertain/<int:message_id>/resend/", views_uncertain.settle, {"decision": "resend"}, name="uncertain-resend"),
    path(
        "uncertain/<int:message_id>/delivered/",
        views_uncertain.settle,
        {"decision": "delivered"},
        name="uncertain-delivered",
    ),
    path("templates/", views_templates.template_list, name="templates"),
    path("templates/sms-length/", views_templates.sms_count, name="sms-length"),
    path("templates/<int:template_id>/", views_templates.template_detail, name="template"),
    path("templates/<int:template_id>/new/", views_templates.new_version, name="template-new"),
    path("templates/<int:template_id>/v<int:number>/", views_templates.version_detail, name="template-version"),
    path("templates/<int:template_id>/v<int:number>/activate/", views_templates.activate, name="template-activate"),
    path(
        "templates/<int:template_id>/v<int:number>/preview/", views_templates.preview_with_case, name="template-preview"
    ),
]
