"""Where residents live: the 11 communities, their neighborhoods, and the 13 council wards."""
