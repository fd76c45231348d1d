FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic only reads settings; these throw-away values never reach a running container.
RUN DEBUG=false SECRET_KEY=build-only ID_ENCRYPTION_KEYS=build-only ID_HASH_KEY=build-only \
    python manage.py collectstatic --noinput \
 && useradd --system --home /app cunzhi && mkdir -p /app/media \
 && chown -R cunzhi /app/media /app/staticfiles

USER cunzhi
EXPOSE 8000
CMD ["gunicorn", "governance.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
