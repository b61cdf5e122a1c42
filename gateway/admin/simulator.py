"""The admin UI's simulator pages (not yet built)."""
