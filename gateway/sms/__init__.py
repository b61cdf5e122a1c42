"""Two-way SMS: stored messages, keywords, the inbox and outgoing sends."""
