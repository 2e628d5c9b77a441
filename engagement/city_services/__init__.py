"""City services: the catalog residents search in their language, its staff editing and CSV files,
and its Open311 GeoReport v2 discovery endpoints."""
