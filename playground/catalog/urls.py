from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("catalog/", views.catalog_list, name="list"),
    path("catalog/<slug:slug>/", views.catalog_detail, name="detail"),
]
