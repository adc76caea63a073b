"""National classifiers (HEMIS h_* reference lists): multilingual, versioned, in schema ref."""
