"""Capture: taking photos from officers exactly once, and the states a photo moves through."""
