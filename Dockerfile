# The appraisal service: one image for the API (`serve`), the projector
# (`project`), the one-shot `migrate` and every other `appraisal` command.
#   docker build -t appraisal .
#   docker run --rm -e DATABASE_URL=postgresql://... appraisal migrate
# docker-compose.yml builds it and runs each service from it.

FROM python:3.11-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# The dependencies first, read from pyproject.toml: this layer is rebuilt only
# when they change, not at every change of the code.
COPY pyproject.toml ./
RUN python -c "import subprocess, sys, tomllib; \
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
subprocess.check_call([sys.executable, '-m', 'pip', 'install', *deps])"

# Then the package itself (a regular install: the runtime stage needs no source).
COPY README.md ./
COPY domain ./domain
COPY projections ./projections
COPY web ./web
RUN pip install --no-deps . && appraisal --help >/dev/null


FROM python:3.11-slim-bookworm

# A system user without a login or a home; the data directory (the demo's
# tokens, SQLite files if no DATABASE_URL is given) is its only writable place.
RUN useradd --system --uid 10001 --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin appraisal \
    && install -d -o appraisal -g appraisal -m 0750 /var/lib/appraisal

COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APPRAISAL_DATA_DIR=/var/lib/appraisal

WORKDIR /var/lib/appraisal
USER 10001:10001
EXPOSE 8000

# The `appraisal` command. A leading `appraisal` is dropped, so both
# `docker compose run --rm api demo` and `... api appraisal demo` run
# `appraisal demo`, as `docker compose exec api appraisal ...` does.
ENTRYPOINT ["/bin/sh", "-c", "[ \"$1\" != appraisal ] || shift; exec appraisal \"$@\"", "appraisal"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
