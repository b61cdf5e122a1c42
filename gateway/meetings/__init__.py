"""Community-platform meetings and national dialogues, and who said they will come."""
