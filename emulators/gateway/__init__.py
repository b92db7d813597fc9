"""Local API gateway: one origin for every function, routed by infra/api/openapi.yaml as API
Gateway routes in production. See README.md in this folder."""
