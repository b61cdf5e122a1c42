"""Radio call-in: shows, their live feed of listeners' SMS, marks and on-air polls."""
