"""Faults on hearing night: the database restarts, writers collide, a worker dies, a bot floods."""
