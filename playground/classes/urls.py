from django.urls import path

from . import views

app_name = "classes"
urlpatterns = [
    path("classes/", views.class_index, name="index"),
    path("classes/new/", views.class_new, name="new"),
    path("classes/join/<str:code>/", views.class_index, name="join"),
    path("classes/<int:class_id>/", views.class_detail, name="detail"),
    path("classes/<int:class_id>/<slug:action>/", views.class_control, name="control"),
    path("accounts/signup/", views.teacher_signup, name="signup"),
]
