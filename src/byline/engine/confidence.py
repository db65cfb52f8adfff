"""How sure byline is of a mention's person, as every report shows it."""

LOW_CONFIDENCE = 0.5  # a mention below this confidence is flagged as low (tables, review page)
