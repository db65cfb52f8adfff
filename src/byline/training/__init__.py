"""Training: fit byline's models on train blocks only and tune them on dev (`byline train`)."""
