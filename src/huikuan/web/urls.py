from django.contrib.auth import views as auth_views
from django.urls import path

from huikuan.intake import views as intake
from huikuan.web import views, views_help
from huikuan.workbench import views as workbench

app_name = "web"
urlpatterns = [
    path("", views.case_list, name="cases"),
    # Browsers ask for /favicon.ico whatever the page links; the icon is the vendored SVG.
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/<int:case_id>/", workbench.case_page, name="case"),
    path("contacts/<int:point_id>/reveal/", views.reveal_contact, name="reveal"),
    path("help/", views_help.help_index, name="help"),
    path("help/tour/done/", views_help.dismiss_tour, name="help-tour-done"),
    path("help/for/<str:view_name>/", views_help.help_for_page, name="help-for"),
    path("help/<slug:role>/", views_help.help_role, name="help-role"),
    path("import/", intake.import_accounts_view, name="import"),
    path("import/errors.csv", intake.import_errors_csv, name="import-errors"),
    path("import/errors.xlsx", intake.import_errors_xlsx, name="import-errors-xlsx"),
]
