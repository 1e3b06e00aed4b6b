"""Refused input: one case per input the library must refuse, with code and path."""
