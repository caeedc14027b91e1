"""The web app: FastAPI pages (Jinja2 + htmx), the JSON API and the live session over a WebSocket."""
