"""The gateway: FastAPI application, enforcement point, CLI. Composes the domain packages."""
