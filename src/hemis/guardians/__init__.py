"""Guardians (parents): accounts a registrar links to a student, who may read that student's marks and attendance."""
