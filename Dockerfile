FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir -e . 2>/dev/null || true
COPY . .
# collectstatic with the storage production serves with (DEBUG=0: hashed names, a manifest and
# compressed copies); the key only lets the settings load, nothing is signed at build time.
RUN pip install --no-cache-dir -e . \
    && DEBUG=1 python manage.py compilemessages --ignore=.venv -v0 \
    && DEBUG=0 SECRET_KEY=collectstatic-at-build-time-only \
       python manage.py collectstatic --noinput -v0 \
    && test -f var/static/staticfiles.json
# Worker processes and the request timeout: see creditdesk/gunicorn.conf.py.
ENV WEB_CONCURRENCY=3 GUNICORN_TIMEOUT=30
EXPOSE 8000
CMD ["gunicorn", "-c", "creditdesk/gunicorn.conf.py", "creditdesk.wsgi:application", "--bind", "0.0.0.0:8000"]
