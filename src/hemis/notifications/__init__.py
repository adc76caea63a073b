"""Notifications of a student (a mark or the schedule changed), read in the page and sent by web push."""
