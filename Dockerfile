# coopwatch with the Elasticsearch client, for docker-compose.yml (the store is chosen by COOPWATCH_STORE).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY ingest ./ingest
COPY search ./search
COPY coopwatch ./coopwatch
COPY sources ./sources
RUN pip install '.[es]' && useradd --create-home --uid 1000 coopwatch && mkdir -p /app/var \
    && chown coopwatch /app/var

USER coopwatch
ENTRYPOINT ["coopwatch"]
CMD ["--help"]
