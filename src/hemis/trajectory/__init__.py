"""Individual trajectories: the electives each student chose within the curriculum."""
