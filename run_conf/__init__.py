"""Bundled run configurations (package data: the JSON/YAML files of this folder)."""
