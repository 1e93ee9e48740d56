"""The `weekbot` command line (main)."""
