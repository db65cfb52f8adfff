"""Features: what byline knows about each mention and each pair of mentions."""
