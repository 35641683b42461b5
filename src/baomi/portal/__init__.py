"""Self-service portal for data subjects (R-F1, R-F2, R-B3): sign in with phone or e-mail
and a one-time code, see and download your data, request correction or deletion, give or
withdraw consents, file a complaint."""
