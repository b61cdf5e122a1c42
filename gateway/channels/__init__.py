"""Outbound channels: the Africa's Talking SMS client and its bundled local emulator."""
