import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from playground.classes.services import teacher_add


class Command(BaseCommand):
    help = (
        "Create a teacher account (approved, in the teachers group), or make an existing user a teacher. "
        "The teacher signs in at /accounts/login/."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", help="the account's password (asked for when left out on a terminal)")

    def handle(self, *args, username: str, password: str | None, **options):
        User = get_user_model()
        exists = User.objects.filter(username=username).exists()
        if password is None and not exists:
            password = self._ask_password()
        if password is not None:
            try:
                validate_password(password, User(username=username))
            except ValidationError as exc:
                raise CommandError("That password is too weak: " + " ".join(exc.messages)) from None
        user, created = teacher_add(username=username, password=password)
        what = "Created teacher" if created else "Made existing user a teacher:"
        self.stdout.write(
            self.style.SUCCESS(f"{what} {user.get_username()} (approved). They sign in at /accounts/login/.")
        )

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("Give the new teacher's password with --password.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first
