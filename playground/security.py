"""Content Security Policy: the pages load scripts only from this site, never inline.

Django 5.2 has no CSP of its own; this middleware sends the policy in ``settings.CONTENT_SECURITY_POLICY``
(directive -> sources) on every response that does not set one itself. Styles allow
``'unsafe-inline'`` because plotly.js positions its charts with style attributes and one
injected ``<style>`` sheet; scripts do not (every script is a file under /static/, and page
data travels in ``json_script`` blocks, which are not executed).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def policy_header(policy: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}".strip() for name, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.header = policy_header(settings.CONTENT_SECURITY_POLICY)
        self.exempt = tuple(getattr(settings, "CONTENT_SECURITY_POLICY_EXEMPT_PATHS", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header and "Content-Security-Policy" not in response and not request.path.startswith(self.exempt):
            response["Content-Security-Policy"] = self.header
        return response
