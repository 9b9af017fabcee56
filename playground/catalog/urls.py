from django.urls import path

from . import guide_views, views

app_name = "catalog"
urlpatterns = [
    path("catalog/", views.catalog_list, name="list"),
    path("catalog/<slug:slug>/", views.catalog_detail, name="detail"),
    path("guide/", guide_views.guide, name="guide"),
]
