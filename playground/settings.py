"""Settings for the Playground, driven by environment variables (django-environ).

Two running modes share this one module:

- **embedded** (the default, ``make run``): SQLite, the in-memory channel layer and a Celery
  worker thread inside the web process with kombu's in-memory broker. Nothing to install.
- **served**: ``REDIS_URL`` (Celery broker and channel layer) and ``DATABASE_URL``
  (PostgreSQL) set; daphne serves the site and ``celery -A playground worker`` trains.

With ``DJANGO_ENV=production`` a missing ``SECRET_KEY`` or ``ALLOWED_HOSTS`` fails fast.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PLAYGROUND_VAR_DIR", default=str(BASE_DIR / "var")))

VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

PRODUCTION = env.str("DJANGO_ENV", default="development") == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-not-secret-change-me-in-production-0123456789")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

REDIS_URL = env.str("REDIS_URL", default="")
EMBEDDED = not REDIS_URL

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "playground.catalog",
    "playground.datasets",
    "playground.jobs",
    "playground.api",
    "playground.audit",
    "playground.classes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "playground.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "playground.access.VisitorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "playground.urls"
ASGI_APPLICATION = "playground.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # each architecture's page text (card.html) is read from its package (playground.catalog.loaders)
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    [
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                        "playground.catalog.loaders.ArchitectureLoader",
                    ],
                )
            ]
            if not DEBUG
            else [
                "django.template.loaders.filesystem.Loader",
                "django.template.loaders.app_directories.Loader",
                "playground.catalog.loaders.ArchitectureLoader",
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "playground.access.site_context",
            ],
        },
    },
]

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # WAL lets the page read while the embedded worker writes events; IMMEDIATE avoids
    # "database is locked" upgrades from read to write transactions.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(VAR_DIR / "playground.sqlite3")),
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not the in-memory shared cache: the worker's event-writer thread and the
            # test's own thread write at once, and only a file database waits for its lock
            # (shared-cache tables fail at once with "database table is locked").
            "TEST": {"NAME": env.str("SQLITE_TEST_PATH", default=str(VAR_DIR / "test-playground.sqlite3"))},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CHANNEL_LAYER_KIND = env.str("PLAYGROUND_CHANNEL_LAYER", default="core")
if REDIS_URL and CHANNEL_LAYER_KIND == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30, "health_check_interval": 15}]},
        }
    }
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout by default, exactly as long as
            # channels-redis blocks in BZPOPMIN: an idle viewer's socket then dies with
            # "Timeout reading". Reads may wait longer than the block; a dead server is still
            # noticed by the health check.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "health_check_interval": 15}],
                "capacity": 500,
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 500}}}

# Celery: one job per worker process at a time (one process per GPU), late acks so a
# worker that dies hands the message back; the claim in the task makes redelivery harmless.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "training"
# Parsing uploads is short CPU work: its own queue, so a long training run never holds it up
# where separate workers take each queue.
CELERY_TASK_ROUTES = {"datasets.process_dataset": {"queue": "ingest"}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT_S", default=3 * 3600)}

# Teachers sign in with Django's auth views; students and visitors never need to.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/classes/"
LOGOUT_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)

STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.js from the pinned plotly package, served as vendor/plotly.min.js (never a CDN).
    "playground.staticfinders.PackageFileFinder",
    # each architecture's icon from its package, served as architectures/<slug>/icon.svg
    "playground.staticfinders.ArchitectureFileFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, serve straight from the finders (no collectstatic step to forget).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG and not PRODUCTION
MEDIA_ROOT = VAR_DIR / "media"
# Uploads stream to a temporary file past 2.5 MB, and a request body bigger than the upload
# limit (plus room for the form fields) is cut off while it arrives, not after.
FILE_UPLOAD_HANDLERS = [
    "playground.datasets.uploads.LimitedMemoryFileUploadHandler",
    "playground.datasets.uploads.LimitedTemporaryFileUploadHandler",
]
MEDIA_URL = "media/"

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 90)
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts only from this site and never inline (the pages satisfy it: tests/e2e); see
# playground/security.py for why styles may be inline.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# The interactive API docs page loads Swagger UI from its CDN; it is a developer tool, not a page.
CONTENT_SECURITY_POLICY_EXEMPT_PATHS = ["/api/docs"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# The Playground's own limits, each a setting with a sane default.
PLAYGROUND = {
    # Streaming: the worker flushes at most this often; epochs shorter than this are flushed together.
    "FLUSH_INTERVAL_S": env.float("PLAYGROUND_FLUSH_INTERVAL_S", default=0.2),
    # The worker's event writer (a thread beside training) spaces its writes so that its own CPU
    # time stays under this share of the run; never more than STREAM_MAX_INTERVAL_S apart.
    "STREAM_SHARE": env.float("PLAYGROUND_STREAM_SHARE", default=0.01),
    "STREAM_MAX_INTERVAL_S": env.float("PLAYGROUND_STREAM_MAX_INTERVAL_S", default=1.0),
    # Heavy views (decision boundary grid) refresh at most this often.
    "VIEW_INTERVAL_S": env.float("PLAYGROUND_VIEW_INTERVAL_S", default=0.5),
    # Decision-boundary grid resolution per side (the brief caps it at 100).
    "GRID_SIZE": env.int("PLAYGROUND_GRID_SIZE", default=60),
    # Frames kept of each live view over a run, at most: the run page's timeline replays them (a run
    # with more epochs is thinned evenly). Frames are part of the event log and purged with it.
    "FRAMES_PER_VIEW": env.int("PLAYGROUND_FRAMES_PER_VIEW", default=100),
    # CPU threads one run may use on a CPU worker (0: all of PyTorch's). One by default: the models
    # here are small, and threads that outnumber the free cores (the web server, another worker, a
    # busy machine) make every parallel op wait for a descheduled thread: an autoencoder on digits
    # went from 66 to 1.3 steps a second on a busy 2-core machine. Raise it on a dedicated CPU server.
    "CPU_THREADS": env.int("PLAYGROUND_CPU_THREADS", default=1),
    # A running job writes a heartbeat this often.
    "HEARTBEAT_INTERVAL_S": env.float("PLAYGROUND_HEARTBEAT_INTERVAL_S", default=5.0),
    # A running job whose heartbeat is older than this is INTERRUPTED by the reaper (its worker
    # was killed or ran out of memory); the reaper looks this often.
    "HEARTBEAT_TIMEOUT_S": env.float("PLAYGROUND_HEARTBEAT_TIMEOUT_S", default=15.0),
    "REAPER_INTERVAL_S": env.float("PLAYGROUND_REAPER_INTERVAL_S", default=5.0),
    # A running job saves a checkpoint (weights, optimizer, position, RNG) at most this often.
    "CHECKPOINT_INTERVAL_S": env.float("PLAYGROUND_CHECKPOINT_INTERVAL_S", default=30.0),
    # CTRL-C or SIGTERM on the embedded mode's server: a run in training stops at its next flush with a
    # checkpoint (resumable); the server waits this long for it, then marks it interrupted and exits.
    "SHUTDOWN_GRACE_S": env.float("PLAYGROUND_SHUTDOWN_GRACE_S", default=30.0),
    # Wall time per attempt: the soft limit checkpoints and ends the job FAILED ("Time limit
    # reached", resumable); the hard limit (soft + grace) is Celery's backstop that kills the task.
    "JOB_SOFT_TIME_LIMIT_S": env.float("PLAYGROUND_JOB_SOFT_TIME_LIMIT_S", default=30 * 60.0),
    "JOB_HARD_TIME_LIMIT_GRACE_S": env.float("PLAYGROUND_JOB_HARD_TIME_LIMIT_GRACE_S", default=120.0),
    # Retention in days: finished runs keep only their summary after JOB_RETENTION_DAYS; uploads
    # are deleted after UPLOAD_RETENTION_DAYS; interrupted runs' checkpoints after CHECKPOINT_RETENTION_DAYS.
    "JOB_RETENTION_DAYS": env.float("PLAYGROUND_JOB_RETENTION_DAYS", default=30.0),
    "UPLOAD_RETENTION_DAYS": env.float("PLAYGROUND_UPLOAD_RETENTION_DAYS", default=30.0),
    "CHECKPOINT_RETENTION_DAYS": env.float("PLAYGROUND_CHECKPOINT_RETENTION_DAYS", default=7.0),
    # Largest model a job may train (parameters).
    "MAX_JOB_PARAMS": env.int("PLAYGROUND_MAX_JOB_PARAMS", default=20_000_000),
    # Runs a visitor may start in any hour, and bytes of uploads a visitor may keep stored.
    "MAX_JOBS_PER_HOUR_PER_VISITOR": env.int("PLAYGROUND_MAX_JOBS_PER_HOUR_PER_VISITOR", default=60),
    "MAX_STORED_BYTES_PER_VISITOR": env.int("PLAYGROUND_MAX_STORED_BYTES_PER_VISITOR", default=200 * 1024**2),
    # Jobs a visitor may have queued or running at once. The fair queue serves visitors in turn (a
    # visitor's k-th waiting run waits behind every other visitor's first), so many queued runs delay
    # only their owner; this bounds the queue one visitor holds, and lets the largest sweep queue.
    "MAX_ACTIVE_JOBS_PER_VISITOR": env.int("PLAYGROUND_MAX_ACTIVE_JOBS_PER_VISITOR", default=16),
    # Students one class session may have (a join past it is refused with a message).
    "MAX_STUDENTS_PER_CLASS": env.int("PLAYGROUND_MAX_STUDENTS_PER_CLASS", default=60),
    # A class session's compute budget in worker minutes when its teacher sets none, and the most
    # a teacher may set; each student's fair share is the budget over the students who joined.
    "CLASS_BUDGET_MIN": env.int("PLAYGROUND_CLASS_BUDGET_MIN", default=300),
    "CLASS_BUDGET_MAX_MIN": env.int("PLAYGROUND_CLASS_BUDGET_MAX_MIN", default=6000),
    # A class run is not started with less than this left of the student's share (seconds).
    "CLASS_MIN_RUN_S": env.float("PLAYGROUND_CLASS_MIN_RUN_S", default=20.0),
    # Anyone may ask for a teacher account at /accounts/signup/ (an admin approves it); off: only
    # admins and `manage.py add_teacher` make teachers.
    "TEACHER_SIGNUP_OPEN": env.bool("PLAYGROUND_TEACHER_SIGNUP_OPEN", default=True),
    # Device for this worker: "" picks CUDA when present, else CPU; "cpu" or "cuda:1" force one.
    "DEVICE": env.str("PLAYGROUND_DEVICE", default=""),
    # Uploads (each a limit a visitor is told about on the form).
    "UPLOAD_LIMITS": {
        "max_upload_bytes": env.int("PLAYGROUND_UPLOAD_MAX_BYTES", default=50 * 1024**2),
        "max_zip_files": env.int("PLAYGROUND_UPLOAD_MAX_ZIP_FILES", default=20_000),
        "max_zip_total_bytes": env.int("PLAYGROUND_UPLOAD_MAX_UNZIPPED_BYTES", default=500 * 1024**2),
        "max_compression_ratio": env.float("PLAYGROUND_UPLOAD_MAX_COMPRESSION_RATIO", default=100.0),
        "max_image_side": env.int("PLAYGROUND_UPLOAD_MAX_IMAGE_SIDE", default=4000),
        "max_columns": env.int("PLAYGROUND_UPLOAD_MAX_COLUMNS", default=2000),
        "max_rows": env.int("PLAYGROUND_UPLOAD_MAX_ROWS", default=1_000_000),
        "max_line_bytes": env.int("PLAYGROUND_UPLOAD_MAX_LINE_BYTES", default=1024**2),
        "max_text_chars": env.int("PLAYGROUND_UPLOAD_MAX_TEXT_CHARS", default=20_000_000),
    },
    # Runs one comparison shows at most (/jobs/compare/, GET /api/jobs/compare): curves and settings side by side.
    "COMPARE_MAX_RUNS": env.int("PLAYGROUND_COMPARE_MAX_RUNS", default=8),
    # A sweep (the train form's "Sweep a knob"): at most this many values of one knob, and this many
    # runs in all for a grid of two knobs. Its runs count against the visitor's limits above.
    "SWEEP_MAX_VALUES": env.int("PLAYGROUND_SWEEP_MAX_VALUES", default=8),
    "SWEEP_MAX_RUNS": env.int("PLAYGROUND_SWEEP_MAX_RUNS", default=16),
    # Trying a finished run's model on your own input (the run page's "Try it", /api/jobs/<id>/try): the
    # web process keeps this many loaded models (least recently used dropped first), and one try may send
    # and ask for at most this much.
    "TRY_CACHE_SIZE": env.int("PLAYGROUND_TRY_CACHE_SIZE", default=4),
    "TRY_LIMITS": {
        "max_body_bytes": env.int("PLAYGROUND_TRY_MAX_BODY_BYTES", default=2 * 1024**2),
        "max_image_bytes": env.int("PLAYGROUND_TRY_MAX_IMAGE_BYTES", default=3 * 1024**2 // 2),
        "max_image_side": env.int("PLAYGROUND_TRY_MAX_IMAGE_SIDE", default=2000),
        "max_text_chars": env.int("PLAYGROUND_TRY_MAX_TEXT_CHARS", default=500),
        "max_generate_chars": env.int("PLAYGROUND_TRY_MAX_GENERATE_CHARS", default=400),
        "max_series_values": env.int("PLAYGROUND_TRY_MAX_SERIES_VALUES", default=5000),
        "max_samples": env.int("PLAYGROUND_TRY_MAX_SAMPLES", default=64),
        "max_walk_steps": env.int("PLAYGROUND_TRY_MAX_WALK_STEPS", default=16),
        "top_k": env.int("PLAYGROUND_TRY_TOP_K", default=5),
    },
    # A finished run's exports (the run page's "Take it with you", /api/jobs/<id>/exports): a file is made
    # when first asked for and kept with the run; one over EXPORT_MAX_BYTES is refused, and a request waits
    # at most EXPORT_WAIT_S for another one that is making the same file.
    "EXPORT_MAX_BYTES": env.int("PLAYGROUND_EXPORT_MAX_BYTES", default=200 * 1024**2),
    "EXPORT_WAIT_S": env.float("PLAYGROUND_EXPORT_WAIT_S", default=120.0),
    # Events sent in one WebSocket snapshot at most (older ones are fetched through the API).
    "SNAPSHOT_MAX_EVENTS": env.int("PLAYGROUND_SNAPSHOT_MAX_EVENTS", default=5000),
}
