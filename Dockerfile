# smsbot in a container: the wheel is built in one stage and installed into a slim image.
#
#   cp .env.example .env && chmod 600 .env    # then fill it in
#   docker build -t smsbot .
#   docker run -d --name smsbot --restart unless-stopped \
#       --env-file .env -v smsbot-data:/data -p 127.0.0.1:8080:8080 smsbot
#
# Settings come only from the environment (SMSBOT_*, given with --env-file .env); no .env is
# copied in. The store lives in the /data volume. One container per store: a second refuses
# to start. The dependencies are the versions pinned in requirements.lock (README: "Refreshing
# the pins").

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
COPY requirements.lock /tmp/requirements.lock
COPY --from=builder /dist/ /tmp/dist/
RUN pip install -c /tmp/requirements.lock /tmp/dist/*.whl && rm -rf /tmp/dist /tmp/requirements.lock
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
# Asks /healthz where SMSBOT_HTTP_LISTEN says the bot listens (0.0.0.0 through 127.0.0.1), so a
# moved port needs no --health-cmd; any error or non-2xx answer exits 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["smsbot", "healthcheck"]
CMD ["smsbot", "run"]
