"""The embedded development setup of `make run`: the dev server, the SMTP sink, demo data."""
