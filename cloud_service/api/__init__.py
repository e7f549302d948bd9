"""The patient REST API under /api/v1, documented by an OpenAPI document built from the code."""
