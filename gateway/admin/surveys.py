"""The admin UI's surveys pages (not yet built)."""
