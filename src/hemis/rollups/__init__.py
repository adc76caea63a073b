"""National roll-ups (issue 7): each university's outbox, the worker that turns it into the
figures of schema national, and the national student registry. Read by hemis.reporting."""
