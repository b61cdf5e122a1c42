"""Community polls: questions, options per language, and one vote per person."""
