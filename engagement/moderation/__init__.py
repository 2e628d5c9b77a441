"""Moderation: the staff queue, decisions with reasons, redaction, reports and the audit log."""
