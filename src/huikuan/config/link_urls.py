"""The site's debtor-facing links, the ones a message carries (opt-out, self-service), as a URLconf of their own.

``config.urls`` serves them under the same prefixes (``tests/config`` holds the two URLconfs to the same paths);
composing messages reverses against this module
(``settings.HUIKUAN_LINK_URLCONF``): the whole site's URLconf imports the API's routes, and with them
LightGBM, scikit-learn and WeasyPrint, seconds of start-up in each process of a nightly run that only needs
the opt-out and self-service paths.
"""

from django.urls import include, path

urlpatterns = [
    path("comms/", include("huikuan.comms.link_urls")),
    path("s/", include("huikuan.selfservice.urls")),
]
