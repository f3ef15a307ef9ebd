"""The HTTP edge every service's routers share: problem+json errors, strict JSON bodies,
middleware, the caller and session dependencies, and HTML pages from templates."""
