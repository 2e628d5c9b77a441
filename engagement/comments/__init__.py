"""Residents' comments: the form, receipts and status, and the published comments anyone reads."""
