"""The worlds other parts of the suite build (consultations, theme analysis, prizes), for the hardening tests."""

from tests.analysis.conftest import analysed, consultation_factory  # noqa: F401
from tests.consultations.conftest import make_consultation, officer  # noqa: F401
from tests.prizes.conftest import quick_user, world  # noqa: F401
