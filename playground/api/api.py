"""The JSON API: thin handlers over the same services and selectors as the pages.

Authentication is the browser session (Django's session cookie), with Django's CSRF token
required on every state-changing request (``X-CSRFToken`` header). A script starts with
``GET /api/session`` to get both.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import NinjaAPI, Router, Schema
from ninja.security import APIKeyCookie

from playground.access import Viewer, viewer_from_request
from playground.catalog.api import router as catalog_router
from playground.classes.api import router as classes_router
from playground.datasets.api import router as datasets_router
from playground.errors import Rejected
from playground.jobs.api import router as jobs_router


class VisitorSession(APIKeyCookie):
    """The visitor's browser session; CSRF is checked on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Viewer:
        return viewer_from_request(request)


class PlaygroundAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        """``playground_api_api_<handler>``, whichever app's router declares the operation: the ids
        of the published schema did not change when each app got its own router."""
        return f"playground_api_api_{operation.view_func.__name__}"


api = PlaygroundAPI(
    title="Deep-learning Playground API",
    version="1",
    description="Train neural networks on built-in or uploaded data and follow every step live.",
    auth=VisitorSession(),
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api",
)


@api.exception_handler(Rejected)
def _rejected(request: HttpRequest, exc: Rejected):
    return api.create_response(
        request,
        {"detail": exc.message, "errors": [{"field": e.field, "message": e.message} for e in exc.errors]},
        status=exc.status,
    )


class SessionOut(Schema):
    csrf_token: str
    visitor: str


router = Router()


@router.get("/session", response=SessionOut, summary="Start or resume a visitor session")
def session(request: HttpRequest):
    viewer: Viewer = request.auth
    return {"csrf_token": get_token(request), "visitor": viewer.visitor_id}


# Every app's router, mounted at the root of /api/ (each declares its full paths).
api.add_router("", router)
api.add_router("", catalog_router)
api.add_router("", datasets_router)
api.add_router("", jobs_router)
api.add_router("", classes_router)
