"""hemis: an open, multi-tenant higher-education management platform."""

__version__ = "0.1.0"
