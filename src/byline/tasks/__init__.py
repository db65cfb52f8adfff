"""Tasks: what a user asks byline to do (split, and later assign, audit, merge)."""
