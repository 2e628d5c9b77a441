"""What residents comment on, and when: consultations, their topics and their public pages."""
