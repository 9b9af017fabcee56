from django.db import migrations

TEACHERS_GROUP = "teachers"  # classes.models.TEACHERS_GROUP, frozen here as migrations should be


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=TEACHERS_GROUP)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=TEACHERS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("classes", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
