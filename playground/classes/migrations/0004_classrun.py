"""Class runs: the link from a class session (and its student) to a training job moves out of the
job into the classes app. This creates ClassRun and copies every job's link into it; then
``jobs.0009_remove_class_link`` drops the job's two columns (``run_before``, so the jobs app's
migrations never depend on the classes app)."""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 1000


def copy_links(apps, schema_editor):
    TrainingJob = apps.get_model("jobs", "TrainingJob")
    ClassRun = apps.get_model("classes", "ClassRun")
    links = (
        TrainingJob.objects.filter(class_session__isnull=False)
        .order_by("pk")
        .values_list("pk", "class_session_id", "student_id")
    )
    batch = []
    for job_id, session_id, student_id in links.iterator(chunk_size=BATCH):
        batch.append(ClassRun(job_id=job_id, session_id=session_id, student_id=student_id))
        if len(batch) >= BATCH:
            ClassRun.objects.bulk_create(batch)
            batch = []
    ClassRun.objects.bulk_create(batch)


def copy_links_back(apps, schema_editor):
    TrainingJob = apps.get_model("jobs", "TrainingJob")
    ClassRun = apps.get_model("classes", "ClassRun")
    for run in ClassRun.objects.order_by("pk").iterator(chunk_size=BATCH):
        TrainingJob.objects.filter(pk=run.job_id).update(class_session_id=run.session_id, student_id=run.student_id)


class Migration(migrations.Migration):
    dependencies = [
        ("classes", "0003_budget_spotlight"),
        ("jobs", "0008_time_limit"),
    ]
    run_before = [
        ("jobs", "0009_remove_class_link"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClassRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "job",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="class_run", to="jobs.trainingjob"
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="runs",
                        to="classes.classsession",
                        verbose_name="class session",
                    ),
                ),
                (
                    "student",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="runs",
                        to="classes.student",
                    ),
                ),
            ],
            options={
                "ordering": ["session", "job"],
            },
        ),
        migrations.RunPython(copy_links, copy_links_back),
    ]
