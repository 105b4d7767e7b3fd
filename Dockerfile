# smsbot in a container: the wheel is built in one stage and installed into a slim image.
#
#   docker build -t smsbot .
#   docker run -d --name smsbot --restart unless-stopped \
#       --env-file /etc/smsbot.env -v smsbot-data:/data -p 127.0.0.1:8080:8080 smsbot
#
# Settings come only from the environment (SMSBOT_*, e.g. --env-file); no .env is copied in.
# The store lives in the /data volume. One container per store: a second refuses to start.

ARG PYTHON_VERSION=3.11

# --- builder: turns the source into a wheel ---------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS builder
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY sms_core ./sms_core
COPY config ./config
RUN pip wheel --no-cache-dir --no-deps -w /dist .

# --- runtime: the wheel and its dependencies, run as an unprivileged user ---------------
FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=builder /dist/ /tmp/dist/
RUN pip install /tmp/dist/*.whl && rm -rf /tmp/dist
RUN groupadd --system --gid 10001 smsbot \
    && useradd --system --uid 10001 --gid smsbot --no-create-home --home-dir /data \
       --shell /usr/sbin/nologin smsbot \
    && mkdir -p /data && chown smsbot:smsbot /data
ENV SMSBOT_DATABASE_PATH=/data/smsbot.sqlite3 \
    SMSBOT_HTTP_LISTEN=0.0.0.0:8080
# An empty working directory: no stray .env is read from it.
WORKDIR /app
VOLUME ["/data"]
EXPOSE 8080
USER smsbot
# slim has no curl: Python's urllib asks /healthz (any error or non-2xx status exits 1)
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["smsbot", "run"]
