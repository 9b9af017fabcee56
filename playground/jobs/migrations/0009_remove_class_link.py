"""A job no longer knows its class session or student: ``classes.ClassRun`` holds that link now
(``classes.0004_classrun`` copied it there and runs before this)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0008_time_limit"),
    ]

    operations = [
        migrations.RemoveField(model_name="trainingjob", name="class_session"),
        migrations.RemoveField(model_name="trainingjob", name="student"),
    ]
