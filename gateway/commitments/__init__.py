"""Duty bearers, the commitments they made and the communities' verdicts on them."""
