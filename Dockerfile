# newsflow: the pipeline and its CLI. The default command serves the scheduled deployment against
# the Prefect server named by $PREFECT_API_URL (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DO_NOT_TRACK=1 \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app
RUN python -m venv /opt/venv
# Dependencies first (cached while only the code changes): install from pyproject, then the code.
COPY pyproject.toml README.md ./
RUN mkdir -p newsflow flows connectors transforms warehouse \
    && touch newsflow/__init__.py flows/__init__.py connectors/__init__.py transforms/__init__.py warehouse/__init__.py \
    && pip install -e . \
    && rm -rf newsflow flows connectors transforms warehouse
COPY newsflow newsflow
COPY flows flows
COPY connectors connectors
COPY transforms transforms
COPY warehouse warehouse
COPY seeds seeds
RUN pip install --no-deps -e . && newsflow --help > /dev/null
# The gazetteer's index, built once into the image: every run reads it (0.5 s) instead of building it (3.7 s).
ENV NEWSFLOW_CACHE_DIR=/opt/newsflow-cache
RUN python -c "from transforms.gazetteer import gazetteer; gazetteer()" && ls /opt/newsflow-cache/gazetteer-*.pickle

# The warehouse lives on a volume; the feed list defaults to the seed fixtures.
ENV NEWSFLOW_DB=/data/newsflow.duckdb \
    NEWSFLOW_FEEDS=/app/seeds/feeds.toml \
    PREFECT_RUNNER_SERVER_ENABLE=true \
    PREFECT_RUNNER_SERVER_HOST=0.0.0.0 \
    PREFECT_RUNNER_SERVER_PORT=8080
VOLUME ["/data"]
# Healthy while the runner polls the Prefect server for scheduled runs (Prefect's runner webserver).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4)"
CMD ["newsflow", "serve", "--every", "15m"]
