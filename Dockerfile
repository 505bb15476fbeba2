FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY mapservice ./mapservice
COPY layers ./layers
COPY static ./static
COPY geodata ./geodata
RUN pip install --no-cache-dir . "gunicorn==23.0.0"
RUN useradd --create-home yuren
USER yuren
EXPOSE 8000
# init is idempotent: it creates the tables and, on an empty database, loads the demo region.
# serve runs gunicorn with the worker of mapservice/server.py (JSON refusals, no banner, SO_REUSEPORT).
CMD ["sh", "-c", "mapservice init && exec mapservice serve --host 0.0.0.0 --port 8000 --workers 2 --threads 8"]
