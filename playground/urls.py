from django.contrib import admin
from django.urls import include, path

from playground.api.api import api
from playground.catalog import views as catalog_views

admin.site.site_header = "Playground admin"
admin.site.site_title = "Playground admin"

urlpatterns = [
    path("", catalog_views.home, name="home"),
    path("", include("playground.catalog.urls")),
    path("", include("playground.jobs.urls")),
    path("", include("playground.datasets.urls")),
    path("", include("playground.classes.urls")),
    path("api/", api.urls),
    # Teachers sign in here (Django's auth views; templates/registration/).
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
