# Parley's image: one image for the web (ASGI), worker and beat services of docker-compose.yml.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# ffmpeg converts voice notes (OGG/Opus) and other media; gettext compiles the translations below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml ./
RUN pip install .

# The code: listed one by one so that local folders (.venv, data, .git) never end up in the image.
COPY manage.py ./
COPY config ./config
COPY kernel ./kernel
COPY workspaces ./workspaces
COPY connectors ./connectors
COPY media ./media
COPY contacts ./contacts
COPY inbox ./inbox
COPY realtime ./realtime
COPY webchat ./webchat
COPY emojis ./emojis
COPY demo ./demo
COPY reports ./reports
COPY snippets ./snippets
COPY surveys ./surveys
COPY workflows ./workflows
COPY chatbot ./chatbot
COPY templates ./templates
COPY static ./static
COPY locale ./locale

# Compile the Spanish catalogue (DEBUG=1 only so that settings load without a SECRET_KEY at build time).
RUN DEBUG=1 PARLEY_DATA_DIR=/tmp/parley-build python manage.py compilemessages -v 0 \
    && rm -rf /tmp/parley-build

# Static files, hashed and gzipped into /app/staticfiles for WhiteNoise (DEBUG=0: the production storage;
# the SECRET_KEY only lets settings load for this command and is not in the image's environment).
RUN DEBUG=0 SECRET_KEY=collectstatic-at-build-time PARLEY_DATA_DIR=/tmp/parley-build \
    python manage.py collectstatic --no-input -v 0 \
    && rm -rf /tmp/parley-build

# Run as an unprivileged user; /data holds uploaded and converted files (a volume shared by web and worker).
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin parley \
    && mkdir -p /data \
    && chown parley /data
ENV PARLEY_DATA_DIR=/data
USER parley

EXPOSE 8000
# X-Forwarded-For is believed only from the proxies in FORWARDED_ALLOW_IPS (default: none); uvicorn's own
# default would trust any local peer.
ENV FORWARDED_ALLOW_IPS=""
CMD ["sh", "-c", "exec uvicorn config.asgi:application --host 0.0.0.0 --port 8000 --lifespan off --forwarded-allow-ips \"$FORWARDED_ALLOW_IPS\""]
