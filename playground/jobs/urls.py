from django.urls import path

from . import views

app_name = "jobs"
urlpatterns = [
    path("jobs/", views.job_list, name="list"),
    path("jobs/compare/", views.job_compare, name="compare"),
    path("jobs/<int:job_id>/", views.job_detail, name="detail"),
    path("jobs/<int:job_id>/cancel/", views.job_cancel, name="cancel"),
    path("jobs/<int:job_id>/resume/", views.job_resume, name="resume"),
    path("jobs/<int:job_id>/share/", views.job_share, name="share"),
    path("jobs/<int:job_id>/metrics.csv", views.job_metrics_csv, name="metrics_csv"),
    path("jobs/<int:job_id>/exports/", views.job_exports, name="exports"),
    path("jobs/<int:job_id>/export/<slug:key>/", views.job_export, name="export"),
]
