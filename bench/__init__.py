"""Benchmarks that print their figures next to their targets: `make bench` runs them all.

`loadgen` is the light load generator (a separate process, one asyncio loop); `server` starts
gunicorn; `database` prepares a PostgreSQL database; `intake`, `reading` and `weight` are the
three benchmarks of issue 9; `baseline_app` is the bare Flask + SQLAlchemy app intake is
compared with; `profile` summarises py-spy samples of the workers (`intake --profile DIR`).
"""
