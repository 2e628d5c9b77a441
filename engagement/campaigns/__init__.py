"""Form letters: near-duplicate comments grouped into campaigns."""
