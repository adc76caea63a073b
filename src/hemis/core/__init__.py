"""The shared kernel: database bases, errors, i18n, observability. Knows no domain."""
