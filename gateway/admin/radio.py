"""The admin UI's radio pages (not yet built)."""
