# One image for every Chengxin process: api (uvicorn), worker (python -m activities.worker), migrate.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TZ=Asia/Shanghai

WORKDIR /app

# Dependencies first (cached while only the code changes): install the project's requirements
# from pyproject.toml with empty packages, then the real code.
COPY pyproject.toml ./
RUN mkdir -p domain workflows activities api migrations \
    && for p in domain workflows activities api migrations; do touch $p/__init__.py; done \
    && pip install . \
    && pip uninstall -y chengxin \
    && rm -rf domain workflows activities api migrations build *.egg-info

COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY store ./store
COPY dev ./dev
COPY api ./api
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static

# Editable install: the code stays in /app, next to templates/ and migrations/, which the code finds
# relative to the repository root (domain.settings.ROOT); it also installs the `chengxin` CLI.
RUN pip install --no-deps -e . \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin chengxin \
    && mkdir -p /app/var && chown chengxin:chengxin /app/var

USER chengxin
EXPOSE 8000
CMD ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8000", "--no-proxy-headers"]
