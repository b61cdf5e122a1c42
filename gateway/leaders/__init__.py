"""Community platform leaders on a basic phone: their PIN and menu, announcements to their
platform, attendance at its meetings, and verifying reports from their area (the platforms
themselves are gateway.platforms)."""
