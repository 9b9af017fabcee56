from django.urls import path

from playground.classes.consumers import ClassDashboardConsumer
from playground.jobs.consumers import JobConsumer

websocket_urlpatterns = [
    path("ws/jobs/<int:job_id>/", JobConsumer.as_asgi()),
    path("ws/classes/<int:class_id>/", ClassDashboardConsumer.as_asgi()),
]
