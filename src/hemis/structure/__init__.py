"""University structure: faculties and departments (kafedra), buildings, auditoriums."""
