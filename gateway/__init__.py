"""The gateway: FastAPI application, enforcement point, CLI. Composes the domain packages."""

# Load rego-cpp (regopy) before any other C++ extension module. Loaded after one (aiohttp's
# frozenlist, pulled in by opa-python-client, is the first on our import path), every query
# of the embedded engine leaks about 24 KB of native memory: measured, and guarded by
# tests/policy/test_native_memory.py. This package is the first of ours that every entry point
# imports (uvicorn's factory, the CLI, the tests), so the order is fixed here.
import regopy  # noqa: F401  (imported for its load order, see above)
