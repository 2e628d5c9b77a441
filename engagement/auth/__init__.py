"""Staff accounts, their roles, signing in and out, and who may do what."""
