"""Broadcasts: one text per language to an audience, estimated, scheduled, throttled, crash-safe."""
