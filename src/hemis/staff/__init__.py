"""Staff: employees (positions, employment form and rate, degrees and ranks) and teaching assignments."""
