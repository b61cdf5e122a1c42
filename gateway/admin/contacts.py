"""The admin UI's contacts pages (not yet built)."""
