"""Utilities of the library; ``installed_redisai_backends`` is importable from here, as in
SmartSim."""

from smartsim._core.utils.helpers import installed_redisai_backends

__all__ = ["installed_redisai_backends"]
