"""Singer tap for the TikTok API for Business v1.3."""
