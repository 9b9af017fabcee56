from django.core.management.base import BaseCommand

from playground.jobs.retention import purge_expired


class Command(BaseCommand):
    help = "Apply the retention periods now: trim old runs to their summary, delete old uploads and checkpoints."

    def handle(self, *args, **options):
        self.stdout.write(f"Purged: {purge_expired()}.")
