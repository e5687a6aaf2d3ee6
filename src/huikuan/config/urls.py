from django.contrib import admin
from django.urls import include, path

from huikuan.api.routes import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("qa/calls/", include("huikuan.qa.urls")),
    path("qa/", include("huikuan.compliance.urls")),
    path("strategy/", include("huikuan.strategy.urls")),
    path("analytics/models/", include("huikuan.scoring.urls")),
    path("comms/", include("huikuan.comms.urls")),
    path("work/", include("huikuan.workbench.urls")),
    path("legal/", include("huikuan.legal.urls")),
    path("visits/", include("huikuan.fieldwork.urls")),
    path("s/", include("huikuan.selfservice.urls")),
    path("analytics/", include("huikuan.analytics.urls")),
    path("training/", include("huikuan.training.urls")),
    path("", include("huikuan.web.urls")),
]

# Styled error pages in the user's language (web.views); Django's own are plain English.
handler400 = "huikuan.web.views.bad_request"
handler403 = "huikuan.web.views.permission_denied"
handler404 = "huikuan.web.views.page_not_found"
handler500 = "huikuan.web.views.server_error"
