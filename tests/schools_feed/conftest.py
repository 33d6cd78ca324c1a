"""Fixtures for the schools feed tests. Settings only: no data is made here."""

import pytest


@pytest.fixture
def media_root(settings, tmp_path):
    """Kept files (submissions) go to a fresh folder for each test."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
