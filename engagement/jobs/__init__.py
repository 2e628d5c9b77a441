"""Background jobs: work enqueued in the transaction that needs it (a transactional outbox),
handed to RQ on Redis in production, or run in-process after the response on one machine."""
