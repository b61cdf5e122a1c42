"""The admin UI's reports pages (not yet built)."""
