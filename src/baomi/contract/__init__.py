"""The contract layer: the participant contract every domain app registers through, and the
registries the core iterates over (docs/architecture.md, decision 0013)."""
