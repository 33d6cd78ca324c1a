"""Realistic, deterministic demo data for one local authority (``manage.py seed_demo``)."""
