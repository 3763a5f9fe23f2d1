# fallback: filled in by its owner
