"""The local stack: moto in server mode, the same resources as production, the Chalice API, an event pump and an outbox.

Run it with `python -m infra.local.run` from the repository root; docs/local-stack.md explains the parts.
"""
