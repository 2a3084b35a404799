"""Edges of the system: storage engines and the JSON codec shared by storage and the API."""
