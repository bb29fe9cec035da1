"""Reading and validating what the user gives: config files, time strings, CLI values."""
