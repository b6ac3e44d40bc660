"""Identity resolution (pure): match keys and blocking, comparisons at levels, a model that weighs them,
an explained Fellegi-Sunter style score, and the decision between linking, a steward's review, a new
customer, and a household.

- ``features``: what matching reads of a record (its profile) and the blocking keys.
- ``comparators``: the built-in comparisons, each naming the level at which two values agree.
- ``model``: the weight of every level, built in or trained; term-frequency adjustment.
- ``scoring``: the score of a candidate customer, strong evidence against, and the decision.
- ``training``: estimating a model from the deployment's own records (EM over candidate pairs).
"""

from isthmus.customers.matching.comparators import (
    Comparator,
    ComparatorRegistry,
    CompareFn,
    Comparison,
    builtin_comparators,
    similarity_comparator,
)
from isthmus.customers.matching.features import (
    NAME_ONLY_KEY,
    PROFILE_VERSION,
    Features,
    _street_key,
    blocking_keys,
    street_key,
)
from isthmus.customers.matching.model import BUILTIN, LEVELS, MatchModel, Weights
from isthmus.customers.matching.scoring import (
    Decision,
    MatchConfig,
    Matcher,
    Outcome,
    Scored,
    against,
    own_evidence,
    shared_contacts,
)

__all__ = [
    "BUILTIN",
    "LEVELS",
    "NAME_ONLY_KEY",
    "PROFILE_VERSION",
    "Comparator",
    "ComparatorRegistry",
    "CompareFn",
    "Comparison",
    "Decision",
    "Features",
    "MatchConfig",
    "MatchModel",
    "Matcher",
    "Outcome",
    "Scored",
    "Weights",
    "_street_key",
    "against",
    "blocking_keys",
    "builtin_comparators",
    "own_evidence",
    "shared_contacts",
    "similarity_comparator",
    "street_key",
]
