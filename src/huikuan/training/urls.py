from django.urls import path

from huikuan.training import views

app_name = "training"
urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start_view, name="start"),
    path("run/<int:run_id>/", views.run, name="run"),
    path("run/<int:run_id>/end/", views.end, name="end"),
    path("run/<int:run_id>/debrief/", views.debrief_view, name="debrief"),
    path("assessments/", views.assessments, name="assessments"),
    path("assessments/<int:assessment_id>/", views.assessment, name="assessment"),
    path("leaderboard/", views.leaderboard_view, name="leaderboard"),
    path("share/<int:transcript_id>/", views.share, name="share"),
]
