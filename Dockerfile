# syntax=docker/dockerfile:1
# The customer360 GraphQL API. Neo4j runs in its own container (see docker-compose.yml);
# this image needs NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD at run time, and API keys
# (`c360 api-key add`) before it serves on 0.0.0.0.
FROM python:3.11-slim

# No .pyc files in the image, logs straight to `docker logs`, no pip nagging.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed, unprivileged uid/gid: the API needs no root. The only state it keeps is in
# C360_HOME (the API key file and the privacy key), a volume in docker-compose.yml: a key
# lost with a re-created container would let erased records import again.
RUN groupadd --system --gid 10001 c360 \
    && useradd --system --uid 10001 --gid c360 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin c360 \
    && mkdir -p /var/lib/c360 && chown c360:c360 /var/lib/c360 && chmod 700 /var/lib/c360
ENV C360_HOME=/var/lib/c360

WORKDIR /src

# Metadata and locked versions first (README.md is the package's long description).
COPY pyproject.toml constraints.txt README.md ./
COPY api ./api
COPY graph ./graph
COPY linkage ./linkage
COPY ontology ./ontology

# A regular (non-editable) install pinned by constraints.txt: the code lands in site-packages
# and the `c360` console script in /usr/local/bin.
RUN pip install --no-cache-dir -c constraints.txt .

USER c360:c360

EXPOSE 8000

# /health answers 200 only while Neo4j is reachable (503 otherwise, which urlopen raises on).
# Plain Python, so the slim image needs no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

# Exec form: the Python process is PID 1 and gets SIGTERM from `docker stop` directly.
CMD ["c360", "serve", "--host", "0.0.0.0", "--port", "8000"]
