from pathlib import Path

import pytest

DEMO_DIR = Path(__file__).resolve().parents[2] / "careroute" / "demo"


@pytest.fixture
def demo_dir() -> Path:
    return DEMO_DIR
