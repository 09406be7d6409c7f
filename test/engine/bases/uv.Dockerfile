# Stand-in for ghcr.io/astral-sh/uv:<version>: nothing but /uv and /uvx, from uv's PyPI wheel.
# Test-only; see ../bases.ts.
FROM scratch
COPY uv uvx /
