"""The admin UI's polls pages (not yet built)."""
