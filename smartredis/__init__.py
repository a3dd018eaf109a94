"""SmartRedis-compatible client for programs launched by smartsim (see the client issue)."""
