# syntax=docker/dockerfile:1
# Build stage: a wheel of newsbot and its dependencies, with compilers available.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip build
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
COPY config ./config
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Run stage: only the installed wheels, as an unprivileged user.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    NEWSBOT_CONFIG=/app/config/newsbot.toml \
    NEWSBOT_DATABASE_URL=sqlite+aiosqlite:////data/newsbot.db \
    NEWSBOT_OPS_LISTEN=0.0.0.0:9108
RUN useradd --create-home --uid 10001 newsbot && mkdir -p /data /app/config \
    && chown newsbot:newsbot /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY config/newsbot.toml /app/config/newsbot.toml
WORKDIR /app
USER newsbot
VOLUME ["/data"]
# /healthz and /metrics (README "Webhook, health and metrics"); 8443 is the webhook's default.
EXPOSE 9108 8443
# A 503 (database gone, feeds not polled, queue stuck) raises in urlopen: unhealthy.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=8)"]
ENTRYPOINT ["newsbot"]
CMD ["run"]
