# Lodestar CRM: one image for the web server, the Celery worker and beat (docker-compose.yml runs all three).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=crm.settings

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. Every wheel is checked against its hash.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

RUN groupadd --system --gid 10001 lodestar \
    && useradd --system --uid 10001 --gid lodestar --home-dir /app --no-create-home lodestar

COPY . .

# Static files are collected into the image (WhiteNoise serves them); the key only lets settings load for this step.
# var/media is where uploads go: made here so a volume mounted on it belongs to the app user.
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p var/media \
    && chown -R lodestar:lodestar var/media

USER lodestar
EXPOSE 8000

# Worker options are in crm/gunicorn_conf.py: WEB_CONCURRENCY processes (default one per core), WEB_THREADS
# threads in each (default 4), WEB_TIMEOUT seconds before a stuck request's worker is restarted (default 30).
CMD ["gunicorn", "crm.wsgi", "--config", "python:crm.gunicorn_conf", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
