"""aria_desktop."""
