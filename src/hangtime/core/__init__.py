"""The pure domain: rules as data, screening, plans and their weekly review, outcomes and the session engine.

No I/O and no adapters: an import-linter contract (`make lint`) keeps anything outside `core` from being imported.
"""
