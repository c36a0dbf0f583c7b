"""Replays of TikTok's recorded answers: the server and the fixtures it serves."""
