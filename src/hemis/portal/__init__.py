"""The student portal (issue 8): server-rendered, mobile-first pages at /portal/ on a university's host."""
