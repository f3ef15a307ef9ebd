"""The learned second opinion: a linear model over character and word n-grams (scikit-learn),
trained on the corpus in services/triage/corpus/ by `python -m services.triage.learned.train`."""

from .model import LearnedModel, LearnedOpinion, load_learned

__all__ = ["LearnedModel", "LearnedOpinion", "load_learned"]
