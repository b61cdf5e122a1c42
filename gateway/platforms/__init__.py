"""Community platforms: members, leaders on a basic phone, announcements and attendance."""
