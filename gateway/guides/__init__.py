"""The Community Guides: their chapters (texts in ``messages/``) and who follows them."""
