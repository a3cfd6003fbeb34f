# syntax=docker/dockerfile:1
# The appdeploy operator image: `appdeploy operator` on Python 3.11, as a
# non-root user, with only the runtime dependencies (no dev tools, no
# compiler, no pip in the final image).
#
# Build (from the repository root; docs/install.md#the-operator-image):
#   docker build -t ghcr.io/appdeploy/appdeploy:0.1.0 .
# Pin the base by digest for a release build (resolve it where the registry
# is reachable, e.g. `docker buildx imagetools inspect python:3.11-slim-bookworm`):
#   docker build --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:<digest> ...
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Dependencies first (changes to the operator's code reuse this layer).
COPY pyproject.toml README.md ./
RUN python -m venv /opt/appdeploy \
 && /opt/appdeploy/bin/pip install --upgrade pip setuptools wheel \
 && /opt/appdeploy/bin/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && /opt/appdeploy/bin/pip install -r /tmp/requirements.txt
COPY operator ./operator
# A regular (non-editable) install; compiled now, because the root filesystem
# is read-only at run time.
RUN /opt/appdeploy/bin/pip install --no-deps . \
 && /opt/appdeploy/bin/pip uninstall --yes pip setuptools wheel \
 && /opt/appdeploy/bin/python -m compileall -q /opt/appdeploy

FROM ${PYTHON_IMAGE}
# The chart runs the pod as 65532:65532 (runAsNonRoot needs a numeric user).
RUN groupadd --gid 65532 appdeploy \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin appdeploy
COPY --from=build /opt/appdeploy /opt/appdeploy
ENV PATH=/opt/appdeploy/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 65532:65532
ENTRYPOINT ["appdeploy", "operator"]
