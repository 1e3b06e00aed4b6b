"""The error a simulation's configuration raises: one code, the offending field."""

from __future__ import annotations

from ..errors import SocialCommerceError

__all__ = ["SimulationConfigError"]

CODE = "simulation-config-invalid"


class SimulationConfigError(SocialCommerceError, ValueError):
    """A simulation parameter is invalid, or does not fit the plan simulated.

    ``code`` is ``"simulation-config-invalid"``; ``path`` names the parameter, e.g.
    ``churn_share``, ``catalogue[2].unit_price`` or ``invitations.exponent``.
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(CODE, message, path=path)

    def within(self, field: str) -> SimulationConfigError:
        """The same error, its path prefixed with the field that holds the value."""
        return SimulationConfigError(
            self.message, path=f"{field}.{self.path}" if self.path else field
        )
