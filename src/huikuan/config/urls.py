from django.contrib import admin
from django.urls import include, path

from huikuan.api.routes import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("qa/", include("huikuan.compliance.urls")),
    path("strategy/", include("huikuan.strategy.urls")),
    path("comms/", include("huikuan.comms.urls")),
    path("work/", include("huikuan.workbench.urls")),
    path("", include("huikuan.web.urls")),
]
