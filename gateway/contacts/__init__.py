"""Contacts: the people the gateway talks to, their language, area and consent."""
