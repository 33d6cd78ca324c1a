"""The parent portal (ADR 0014): parents sign in with a one-time link and see and send only what
concerns their own children. Models in registry/models/portal.py; the capability table keeps the
parent role to these pages (registry/access.py, registry/portal/middleware.py)."""
