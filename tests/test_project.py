"""Project-level checks: the compose file validates, plotly.js is served locally, models_lib
stays free of the web."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parent.parent


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_file_validates():
    command = _compose_command()
    require_service(command is not None, "docker compose (or docker-compose)", "apt-get install docker-compose")
    result = subprocess.run([*command, "-f", "docker/compose.yml", "config"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for service in ("web:", "worker:", "redis:", "postgres:"):
        assert service in result.stdout
    assert "capabilities" in result.stdout and "gpu" in result.stdout  # the worker reserves a GPU


def test_models_lib_never_imports_the_web():
    pattern = re.compile(r"^\s*(from|import)\s+(django|channels|celery|ninja|playground)\b", re.M)
    offenders = [str(p) for p in (ROOT / "models_lib").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


@pytest.mark.django_db
def test_plotly_is_served_from_our_static_files(client):
    from django.contrib.staticfiles import finders

    path = finders.find("vendor/plotly.min.js")
    assert path and Path(path).stat().st_size > 1_000_000
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200


# A page may load nothing from a content delivery network: plotly.js and the rest are served from static/.
CDN = re.compile(r"https?://(cdn\.|unpkg\.com|cdnjs\.|[a-z0-9.-]*jsdelivr\.net|cdn\.plot\.ly)")


def test_the_cdn_pattern_matches_the_usual_cdns():
    for url in (
        "https://cdn.plot.ly/plotly-2.35.2.min.js",
        "https://unpkg.com/htmx.org",
        "https://cdn.jsdelivr.net/npm/x",
        "https://cdnjs.cloudflare.com/ajax/libs/x.js",
        "http://fastly.jsdelivr.net/npm/y",
    ):
        assert CDN.search(f'<script src="{url}"></script>'), url
    assert not CDN.search('<script src="/static/vendor/plotly.min.js"></script>')


def test_no_page_loads_from_a_cdn():
    hits = []
    for path in list((ROOT / "templates").rglob("*.html")) + list((ROOT / "static").rglob("*.js")):
        if CDN.search(path.read_text()):
            hits.append(str(path))
    assert hits == []


def test_check_deploy_passes_with_the_production_settings(tmp_path):
    """``manage.py check --deploy`` has nothing to say about the production settings."""
    import os
    import secrets
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="playground.example.org",
        PLAYGROUND_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="playground.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_every_page_sends_a_content_security_policy_without_inline_scripts(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";")[0]
    for path in ("/catalog/", "/catalog/mlp/", "/datasets/", "/guide/", "/jobs/"):
        html = client.get(path).content.decode()
        inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
        assert inline == [], (path, inline)  # every script is a file; data blocks are JSON
        assert not re.search(r"\son[a-z]+=\"", html), path  # no inline event handlers either
