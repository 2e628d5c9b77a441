"""The public JSON API v1 (read-only, public data only), its OpenAPI document, and the open-data
dictionary page that explains every field."""
