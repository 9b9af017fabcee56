"""Uploads of plain text and of sequence pairs were stored with the task names "language_model" and
"seq2seq", which are not among the dataset's task choices and match no model's accepted data; both
are generation tasks."""

from django.db import migrations

OLD = ("language_model", "seq2seq")


def forwards(apps, schema_editor):
    Dataset = apps.get_model("datasets", "Dataset")
    for dataset in Dataset.objects.filter(task__in=OLD):
        info = dict(dataset.info or {})
        if info.get("task") in OLD:
            info["task"] = "generate"
        Dataset.objects.filter(pk=dataset.pk).update(task="generate", info=info)


class Migration(migrations.Migration):
    dependencies = [("datasets", "0003_uploads")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
