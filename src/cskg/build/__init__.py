"""Building the release: sources → reason → validate → write, in parts on every core."""
