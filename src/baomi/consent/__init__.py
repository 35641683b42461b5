"""Consent ledger and the privacy notice (R-B2, R-B3): append-only consent history per
customer × purpose × channel × notice version, the notice generated from the catalogue."""
