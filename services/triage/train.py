"""`python -m services.triage.train`: rebuild the learned model's artifact (see learned/train.py)."""

from .learned.train import main

if __name__ == "__main__":
    raise SystemExit(main())
