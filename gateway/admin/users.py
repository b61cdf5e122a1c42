"""The admin UI's users pages (not yet built)."""
