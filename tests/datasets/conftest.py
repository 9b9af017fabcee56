from tests.django_fixtures import *  # noqa: F401,F403
