"""Attendance: hours missed per lesson, excuses set by the dean, and the bar from the final exam."""
