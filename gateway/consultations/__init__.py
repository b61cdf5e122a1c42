"""Public participation: consultations on a draft, clause by clause, and the memorandum."""
