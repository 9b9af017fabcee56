from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0005_keypoints_pose"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dataset",
            name="kind",
            field=models.CharField(
                choices=[
                    ("points2d", "2-D points"),
                    ("tabular", "Table (CSV)"),
                    ("images", "Images (zip of class folders)"),
                    ("timeseries", "Time series (CSV)"),
                    ("text", "Plain text corpus"),
                    ("text_labels", "Labelled text (CSV of text, label)"),
                    ("pairs", "Sequence pairs (CSV of source, target)"),
                    ("graph", "Graph (edge list CSV, optional node CSV)"),
                    ("detection", "Object detection (zip of images with boxes.csv)"),
                    ("segmentation", "Segmentation (zip of images/ and masks/)"),
                    ("keypoints", "Keypoints (images with joints)"),
                    ("trees", "Parse trees (one bracketed tree a line)"),
                ],
                max_length=20,
            ),
        ),
    ]
