"""Use cases shared by the CLI and the web app: each one a unit of work over the store, logged."""
