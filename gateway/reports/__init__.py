"""Problems reported by community members, with a reference number they can quote."""
