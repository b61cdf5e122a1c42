"""The admin UI's broadcasts pages (not yet built)."""
