from django.urls import path

from . import views

app_name = "classes"
urlpatterns = [
    path("classes/", views.class_index, name="index"),
    path("classes/join/<str:code>/", views.class_index, name="join"),
]
