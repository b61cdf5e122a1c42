"""The admin UI's audit pages (not yet built)."""
