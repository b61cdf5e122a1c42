"""Surveys for action research: several questions, taken by SMS or USSD, partial answers kept."""
