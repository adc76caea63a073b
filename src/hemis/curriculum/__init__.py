"""Curricula (KMT): specialties, subjects, curricula and their subjects per semester with credits and controls."""
