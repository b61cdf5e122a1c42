"""The admin UI's meetings pages (not yet built)."""
