"""Timetable: lesson pairs per university, the weekly schedule of groups, teachers and rooms, clash-free."""
