"""Unit tests: one file per module of socialcommerce_rules."""
