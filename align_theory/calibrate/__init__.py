"""Calibration (placeholder)."""
