# Two images from one file; docker-compose.yml builds both. The store is chosen by COOPWATCH_STORE.
#   --target coopwatch (the default): the coopwatch CLI with the Elasticsearch client
#   --target airflow: Airflow 3.3 (Postgres and FAB providers) and coopwatch with the airflow and es
#                     extras, so the DAGs in dags/ (mounted at /app/dags) can import ingest and search
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 1000 coopwatch
COPY pyproject.toml README.md ./
COPY ingest ./ingest
COPY search ./search
COPY coopwatch ./coopwatch
COPY sources ./sources

FROM base AS airflow
# keep in step with the `airflow` extra in pyproject.toml
ARG AIRFLOW_VERSION=3.3.2
ENV AIRFLOW_HOME=/app/airflow
RUN pip install '.[airflow,es]' "apache-airflow[postgres,fab]==${AIRFLOW_VERSION}" \
    && mkdir -p /app/var /app/airflow/logs && chown -R coopwatch /app/var /app/airflow
USER coopwatch
ENTRYPOINT ["airflow"]
CMD ["version"]

FROM base AS coopwatch
RUN pip install '.[es]' && mkdir -p /app/var && chown coopwatch /app/var
USER coopwatch
ENTRYPOINT ["coopwatch"]
CMD ["--help"]
