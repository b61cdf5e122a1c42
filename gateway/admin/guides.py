"""The admin UI's guides pages (not yet built)."""
