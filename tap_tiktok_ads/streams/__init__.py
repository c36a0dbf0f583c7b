"""The tap's streams."""
