from django.urls import path

from . import views

app_name = "datasets"
urlpatterns = [
    path("datasets/", views.dataset_list, name="list"),
    path("datasets/upload/", views.dataset_upload, name="upload"),
    path("datasets/<int:dataset_id>/", views.dataset_detail, name="detail"),
    path("datasets/<int:dataset_id>/delete/", views.dataset_delete, name="delete"),
    path("datasets/<int:dataset_id>/preview.csv", views.dataset_preview_csv, name="preview_csv"),
    path("datasets/<int:dataset_id>/glimpse/", views.dataset_glimpse, name="glimpse"),
]
